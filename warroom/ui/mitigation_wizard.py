"""The mitigation wizard: triage, then each option in the playbook's order, one change at a
time, each time-boxed and checked back, and "mitigated" only once a measurement says so.

Every decision is committed as it is made. Where the IC is, and what is typed but not yet
decided, is saved as they go, so the wizard can be closed and resumed later.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWidget, QWizard

from warroom.domain import mitigation_flow
from warroom.domain.clock import Clock
from warroom.domain.incident import EventKind, Incident
from warroom.domain.mitigation import (
    Decision,
    Mitigation,
    Outcome,
    latest_decisions,
    parked,
    unverified,
)
from warroom.domain.mitigation_flow import FlowFacts, check_step, option_step
from warroom.domain.playbook import YES, Playbook, TriageFlag
from warroom.domain.validation import ValidationError
from warroom.domain.wizard_state import WizardProgress
from warroom.services.mitigation import MitigationService, PendingCheckBack
from warroom.ui.keys import Key
from warroom.ui.mitigation_pages import FlowPage, OptionPage, SecurityPage, TriagePage, VerifyPage
from warroom.ui.widgets import fit_to_screen

# Which step follows which is warroom.domain.mitigation_flow's; the wizard maps its steps to
# pages. QWizard never shows a page twice in one path, so each option has its own check-back
# page (FIRST_CHECK + its index), and the path ends on VERIFY when no option was applied.
TRIAGE, SECURITY, VERIFY = 0, 1, 1000
FIRST_OPTION = 100
FIRST_CHECK = 500
SAVE_DEBOUNCE_MS = 1000
# The wizard's keys are its buttons' own (their mnemonics, and Enter for the default one).
WIZARD_KEYS = (
    Key("Alt+A / Alt+S / Alt+O", "Apply, skip or mark not applicable"),
    Key("Enter / Alt+B", "Next (records the decision) / Back"),
    Key("Alt+V", "Verify recovery"),
)


class MitigationWizard(QWizard):
    def __init__(
        self,
        incident_id: int,
        mitigations: MitigationService,
        clock: Clock,
        playbooks: list[Playbook],
        warnings: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.incident_id = incident_id
        self.mitigations = mitigations
        self.clock = clock
        self.actor = mitigations.incidents.actor
        self.playbooks = {p.name: p for p in playbooks}
        self.replaying = False
        self.jumping = False  # on the way to the verify page, past undecided options
        self._incident: Incident | None = None
        self._mitigations: list[Mitigation] | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Done")
        self.setButtonText(QWizard.WizardButton.CancelButton, "Close (resume later)")
        # Impact can stop on its own, or after the first option: verifying must not wait
        # for every option to be decided.
        self.setButtonText(QWizard.WizardButton.CustomButton1, "&Verify recovery…")
        self.setOption(QWizard.WizardOption.HaveCustomButton1)
        self.customButtonClicked.connect(lambda _which: self.go_to_verify())
        fit_to_screen(self, 980, 680)

        stored = mitigations.progress(incident_id)
        self.progress = stored or WizardProgress()
        self.playbook = self.playbooks.get(self.progress.playbook, playbooks[0])
        self.triage = TriagePage(self, playbooks, warnings)
        self.security = SecurityPage(self)
        self.verify = VerifyPage(self, None)
        self.setPage(TRIAGE, self.triage)
        self.setPage(SECURITY, self.security)
        self.setPage(VERIFY, self.verify)
        self.option_pages: list[OptionPage] = []
        self.check_pages: list[VerifyPage] = []
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DEBOUNCE_MS)
        self._save_timer.timeout.connect(self.save_progress)
        for page in (self.triage, self.security, self.verify):
            page.edited.connect(self._save_timer.start)
        self._show_playbook(self.playbook)
        self.triage.restore({**self.progress.answers, **self.progress.fields.get("triage", {})})
        self.triage.prefill(self.incident())
        self._restore_fields()
        self._refresh_title()
        resume_at = self.progress.page
        self.currentIdChanged.connect(self._on_page_changed)
        self.restart()
        if resume_at:
            self._replay_to(resume_at)

    # -- what the pages ask of the flow ---------------------------------------------------
    def incident(self) -> Incident:
        if self._incident is None:
            self._incident = self.mitigations.incidents.get(self.incident_id)
        return self._incident

    def _all_mitigations(self) -> list[Mitigation]:
        if self._mitigations is None:
            self._mitigations = self.mitigations.mitigations(self.incident_id)
        return self._mitigations

    def all_mitigations(self) -> list[Mitigation]:
        """Every decision recorded on the incident, in recorded order."""
        return self._all_mitigations()

    def decisions(self) -> dict[str, Mitigation]:
        return latest_decisions(self._all_mitigations())

    def pending(self) -> list[Mitigation]:
        return unverified(self._all_mitigations())

    def pending_check_backs(self) -> list[PendingCheckBack]:
        """The steps a check-back can still answer: unverified, then parked."""
        incident = self.incident()
        if not incident.status.is_open:
            return []
        waiting = self.pending() + parked(self._all_mitigations())
        return [PendingCheckBack(incident, m) for m in waiting]

    def flags(self) -> set[TriageFlag]:
        """Flags from recorded answers, not from what is typed and not yet recorded."""
        answers = self.progress.answers
        return {q.flag for q in self.playbook.triage if q.flag and answers.get(q.key) == YES}

    def record_triage(self, answers: dict[str, str]) -> None:
        flags = self.mitigations.record_triage(self.incident_id, self.playbook, answers)
        self.progress.answers = dict(answers)
        self.progress.flags = sorted(flag.value for flag in flags)  # saved with the rest
        self._forget_cache()  # a "yes, a breach" marks the incident as a security one

    def decide(self, page: OptionPage, decision: Decision) -> None:
        page.record(decision)
        self._forget_cache()

    def where_things_stand(self) -> str:
        incident = self.incident()
        if not incident.status.is_open or incident.mitigated_at is not None:
            return "Impact is mitigated. Next: investigate, then fix for good."
        pending = self.pending()
        if pending:
            names = ", ".join(f"“{m.subject}”" for m in pending)
            return (
                f"Waiting to check back on {names}. Close the wizard if you like: the board "
                "asks when the time comes. One change at a time: another change now makes it "
                "impossible to tell which one fixed it."
            )
        following = self._option_after_last_decided()
        last = self._last_applied()
        waiting = parked(self._all_mitigations())
        aside = (
            " Parked, waiting on a third party: "
            + ", ".join(f"“{m.subject}”" for m in waiting)
            + " (it does not hold up verification)."
            if waiting
            else ""
        )
        outcome = None if last is None else last.outcome
        if last is not None and outcome is not None and outcome.failed:
            said = f"“{last.subject}” {outcome.label}"
            if outcome is Outcome.MADE_WORSE:
                said += " — consider undoing it"
            if following is not None:
                return f"{said}. Press Next for the next option: {following}.{aside}"
            return f"{said}, and every option has been decided.{aside}"
        if last is not None and outcome is Outcome.PARTLY:
            nxt = f" Press Next for the next option: {following}." if following else ""
            return f"“{last.subject}” partly worked.{nxt} Verify recovery once it shows.{aside}"
        if last is not None and outcome is Outcome.WORKED:
            return (
                "The change worked. Verify recovery below to mark the incident mitigated." + aside
            )
        return "No change is waiting for a check-back. Verify recovery below once it shows." + aside

    # -- flow ---------------------------------------------------------------------------------
    def go_to_verify(self) -> None:
        """Straight to the final verify page; what the current page holds is recorded."""
        if self.currentId() == VERIFY:
            return
        self.jumping = True
        try:
            self.next()
        finally:
            self.jumping = False

    def nextId(self) -> int:
        """The flow's next step for the page shown, as a page id (-1 when done)."""
        return self._page_id(self._next_step())

    def _next_step(self) -> str:
        current = self._page_name(self.currentId())
        return mitigation_flow.next_step(self._flow_facts(), current, jumping=self.jumping)

    def _flow_facts(self) -> FlowFacts:
        incident = self.incident()
        return FlowFacts.of(
            options=(page.option.key for page in self.option_pages),
            mitigations=self._all_mitigations(),
            flags=self.flags(),
            mitigated=incident.mitigated_at is not None,
            is_security=incident.is_security,
        )

    def _last_applied(self) -> Mitigation | None:
        return mitigation_flow.last_applied(self._all_mitigations())

    def _option_after_last_decided(self) -> str | None:
        key = mitigation_flow.option_after_last_decided(self._flow_facts())
        return None if key is None else self.playbook.option(key).title

    def use_playbook(self, name: str) -> None:
        if name in self.playbooks and name != self.playbook.name:
            self._show_playbook(self.playbooks[name])
            self.progress.playbook = name
            self.save_progress()

    def _show_playbook(self, playbook: Playbook) -> None:
        self.playbook = playbook
        self.triage.show_playbook(playbook)
        self.security.show_playbook(playbook)
        for index in range(len(self.option_pages)):
            self.removePage(FIRST_OPTION + index)
            self.removePage(FIRST_CHECK + index)
        count = len(playbook.options)
        self.option_pages = [
            OptionPage(self, option, n, count) for n, option in enumerate(playbook.options, 1)
        ]
        self.check_pages = [VerifyPage(self, option) for option in playbook.options]
        for index, (option_page, check_page) in enumerate(
            zip(self.option_pages, self.check_pages, strict=True)
        ):
            self.setPage(FIRST_OPTION + index, option_page)
            self.setPage(FIRST_CHECK + index, check_page)
            option_page.edited.connect(self._save_timer.start)
            check_page.edited.connect(self._save_timer.start)

    def _replay_to(self, page_name: str) -> None:
        """Walks forward to where the IC left off, so Back still leads through the pages
        already done. Nothing is recorded again on the way."""
        self.replaying = True
        try:
            for _ in range(len(self.pageIds()) + 1):
                if self._page_name(self.currentId()) == page_name:
                    break
                if self._next_step() == mitigation_flow.DONE:
                    break
                self.next()
        finally:
            self.replaying = False

    # -- keeping progress -------------------------------------------------------------------
    def _page_name(self, page_id: int) -> str:
        """The flow's name for a page: what is saved to resume, and what the flow reads."""
        if page_id == TRIAGE:
            return mitigation_flow.TRIAGE
        if page_id == SECURITY:
            return mitigation_flow.SECURITY
        if page_id == VERIFY:
            return mitigation_flow.VERIFY
        if 0 <= page_id - FIRST_OPTION < len(self.option_pages):
            return option_step(self.option_pages[page_id - FIRST_OPTION].option.key)
        if 0 <= page_id - FIRST_CHECK < len(self.check_pages):
            return check_step(self.option_pages[page_id - FIRST_CHECK].option.key)
        return ""

    def _page_id(self, step: str) -> int:
        """The page showing a step of the flow; -1 (no page) when the flow is done."""
        fixed = {
            mitigation_flow.TRIAGE: TRIAGE,
            mitigation_flow.SECURITY: SECURITY,
            mitigation_flow.VERIFY: VERIFY,
            mitigation_flow.DONE: -1,
        }
        if step in fixed:
            return fixed[step]
        for index, page in enumerate(self.option_pages):
            if step == option_step(page.option.key):
                return FIRST_OPTION + index
            if step == check_step(page.option.key):
                return FIRST_CHECK + index
        raise ValueError(f"no page shows the step {step!r}")

    def _pages(self) -> dict[str, FlowPage]:
        named: dict[str, FlowPage] = {
            mitigation_flow.TRIAGE: self.triage,
            mitigation_flow.SECURITY: self.security,
            mitigation_flow.VERIFY: self.verify,
        }
        for page in self.option_pages:
            named[option_step(page.option.key)] = page
        for check in self.check_pages:
            assert check.option is not None
            named[check_step(check.option.key)] = check
        return named

    def _restore_fields(self) -> None:
        for name, page in self._pages().items():
            if name != mitigation_flow.TRIAGE and name in self.progress.fields:
                page.restore(self.progress.fields[name])

    _deleted = False

    def save_progress(self) -> None:
        self._save_timer.stop()
        if self.replaying or self._deleted:
            return
        self.progress.playbook = self.playbook.name
        if self.currentId() != -1:
            self.progress.page = self._page_name(self.currentId())
        typed = {name: page.fields() for name, page in self._pages().items()}
        self.progress.fields = {
            name: kept for name, fields in typed.items() if (kept := _non_empty(fields))
        }
        try:
            self.mitigations.save_progress(self.incident_id, self.progress)
        except ValidationError as exc:
            page = self.currentPage()
            if isinstance(page, FlowPage):
                page.error.show_message(exc.message)

    def _on_page_changed(self, page_id: int) -> None:
        self.button(QWizard.WizardButton.CustomButton1).setVisible(
            mitigation_flow.offers_verify(self._page_name(page_id))
        )
        self.save_progress()

    def done(self, result: int) -> None:
        self.save_progress()  # closing at any point keeps the place and what is typed
        super().done(result)

    # -- keeping up with the world -------------------------------------------------------------
    def _forget_cache(self) -> None:
        self._incident = None
        self._mitigations = None

    def forget_cache(self) -> None:
        """After a page's own write: read the incident and its decisions again."""
        self._forget_cache()

    def _refresh_title(self) -> None:
        incident = self.incident()
        self.setWindowTitle(
            f"Mitigate #{incident.id} {incident.severity.value} {incident.title} — warroom"
        )

    def on_incident_changed(self, incident_id: int, kind: str) -> None:
        if incident_id != self.incident_id:
            return
        if kind == EventKind.DELETED.value:
            self._deleted = True
            self.reject()
            return
        self._forget_cache()
        self._refresh_title()
        page = self.currentPage()
        if isinstance(page, FlowPage):
            page.refresh(self.clock.now())

    def on_tick(self, now: datetime) -> None:
        page = self.currentPage()
        if isinstance(page, VerifyPage):
            page.check_backs.on_tick(now)


def _non_empty(fields: dict[str, str]) -> dict[str, str]:
    return {name: text for name, text in fields.items() if text}
