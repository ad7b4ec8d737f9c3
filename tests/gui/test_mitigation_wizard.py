"""The mitigation wizard, driven through its real pages and buttons with a fake clock. Each
path is checked by what lands on the incident's timeline, in order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from tests.gui.helpers import local_hm
from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.domain.mitigation import Outcome
from warroom.ui.mitigation_pages import OptionPage, SecurityPage, TriagePage, VerifyPage
from warroom.ui.qtime import local_text

MITIGATION_KINDS = (
    EventKind.TRIAGE,
    EventKind.MITIGATION,
    EventKind.OVERRIDE,
    EventKind.CHECK_BACK,
    EventKind.VERIFIED,
    EventKind.STATUS_CHANGED,
)


@pytest.fixture
def incident(board, clock):
    return board.service.declare(
        "Checkout returns 500",
        "P1",
        impact_started_at=clock.now() - timedelta(minutes=14),
        commander="Priya Raman",
    )


@pytest.fixture
def open_wizard(board, incident, qtbot):
    def open_():
        # A child of the main window, which the board fixture closes; it deletes itself.
        return board.window.open_wizard(incident.id)

    return open_


def started(incident):
    """Triage question 2 as recorded when its prefilled answer is kept: from the incident."""
    return (
        "Triage: When did it start? "
        f"{local_text(incident.impact_started_at, seconds=False)} (the incident's impact start)"
    )


def record(board, incident_id):
    """The wizard's part of the timeline, as (kind, text), in order."""
    return [
        (e.kind, e.text) for e in board.service.timeline(incident_id) if e.kind in MITIGATION_KINDS
    ]


def press(qtbot, wizard, which):
    button = wizard.button(which)
    assert button.isVisible() and button.isEnabled(), f"{button.text()} is not available"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def next_page(qtbot, wizard):
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    return wizard.currentPage()


def answer_triage(wizard, **answers):
    page = wizard.currentPage()
    assert isinstance(page, TriagePage)
    for key, value in answers.items():
        if key in page.yes_no:
            combo = page.yes_no[key]
            combo.setCurrentIndex(combo.findData(value))
        else:
            page.answer_edits[key].setText(value)


def apply_option(page, action, expected, minutes=10, override=""):
    assert isinstance(page, OptionPage)
    page.apply_radio.setChecked(True)
    page.action.setText(action)
    page.expected.setText(expected)
    page.check_back.setValue(minutes)
    page.override_reason.setText(override)


def skip_option(page, reason):
    assert isinstance(page, OptionPage)
    page.skip_radio.setChecked(True)
    page.reason.setText(reason)


def answer_check_back(qtbot, page, worked):
    [row] = page.check_backs.due_rows()
    qtbot.mouseClick(row.worked if worked else row.failed, Qt.MouseButton.LeftButton)


def verify(qtbot, page, detail, link="", check="health_check"):
    assert isinstance(page, VerifyPage)
    page.check_kind.setCurrentIndex(page.check_kind.findData(check))
    page.detail.setText(detail)
    page.link.setText(link)
    qtbot.mouseClick(page.mitigated_button, Qt.MouseButton.LeftButton)


def test_rollback_applied_and_verified_then_mitigated(board, incident, open_wizard, qtbot, clock):
    wizard = open_wizard()
    answer_triage(wizard, impact="EU checkout fails", changed="deploy 4812", rollback="yes")
    rollback = next_page(qtbot, wizard)
    assert rollback.option.key == "rollback"
    rollback.change_edit.setText("deploy 4812")
    qtbot.keyClicks(rollback.change_time, local_hm(clock.now() - timedelta(minutes=20)))
    # The deciding fact: how the change lines up with the start of impact.
    assert rollback.gap.text().startswith("deploy 4812 came 6 min before impact started")
    clock.advance(minutes=1)
    apply_option(rollback, "revert checkout-api to 4811", "5xx back under 0.1 %")
    verify_page = next_page(qtbot, wizard)
    assert isinstance(verify_page, VerifyPage)
    assert verify_page.check_backs.due_rows() == []  # the time-box is not up yet

    clock.advance(minutes=10)
    board.tick()
    answer_check_back(qtbot, verify_page, worked=True)
    clock.advance(minutes=2)
    verify(qtbot, verify_page, "5xx at 0.04 % for 10 min", "https://grafana/d/checkout")

    assert board.service.get(incident.id).status is Status.MITIGATED
    assert verify_page.done_label.isVisible()
    assert wizard.button(QWizard.WizardButton.FinishButton).isVisible()
    assert record(board, incident.id) == [
        (EventKind.TRIAGE, "Triage: What is the user impact right now? EU checkout fails"),
        (EventKind.TRIAGE, started(incident)),
        (EventKind.TRIAGE, "Triage: What changed recently? deploy 4812"),
        (EventKind.TRIAGE, "Triage: Can we roll back? Yes"),
        (
            EventKind.MITIGATION,
            "Applied roll back: revert checkout-api to 4811 (by alice); expected: 5xx back "
            "under 0.1 %; check back in 10 min; deploy 4812 came 6 min before impact started",
        ),
        (EventKind.STATUS_CHANGED, "Status changed: triage → active: mitigation under way"),
        (EventKind.CHECK_BACK, "Check-back: revert checkout-api to 4811 worked"),
        (
            EventKind.VERIFIED,
            "Recovery verified (health check passing): 5xx at 0.04 % for 10 min "
            "<https://grafana/d/checkout>",
        ),
        (EventKind.STATUS_CHANGED, "Status changed: active → mitigated"),
    ]


def test_skip_rollback_scale_fails_failover_works(board, incident, open_wizard, qtbot, clock):
    wizard = open_wizard()
    rollback = next_page(qtbot, wizard)
    rollback.skip_radio.setChecked(True)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentPage() is rollback  # a skip needs its reason
    assert "Say why you are not going to roll back" in rollback.error.text()
    skip_option(rollback, "no deploy in 24 h")
    scale = next_page(qtbot, wizard)
    assert scale.option.key == "scale"
    apply_option(scale, "add 4 web nodes", "p99 under 300 ms", minutes=5)
    verify_page = next_page(qtbot, wizard)
    clock.advance(minutes=5)
    board.tick()
    answer_check_back(qtbot, verify_page, worked=False)
    assert "Press Next for the next option: Fail over" in verify_page.state.text()
    failover = next_page(qtbot, wizard)
    assert failover.option.key == "failover"
    apply_option(failover, "promote db-2", "errors stop")
    verify_page = next_page(qtbot, wizard)
    clock.advance(minutes=10)
    board.tick()
    answer_check_back(qtbot, verify_page, worked=True)
    verify(qtbot, verify_page, "checkout error rate back to 0.05 %")

    assert [text for _kind, text in record(board, incident.id)] == [
        started(incident),
        "Rejected roll back: no deploy in 24 h",
        "Applied scale: add 4 web nodes (by alice); expected: p99 under 300 ms; "
        "check back in 5 min",
        "Status changed: triage → active: mitigation under way",
        "Check-back: add 4 web nodes did not work",
        "Applied fail over: promote db-2 (by alice); expected: errors stop; check back in 10 min",
        "Check-back: promote db-2 worked",
        "Recovery verified (health check passing): checkout error rate back to 0.05 %",
        "Status changed: active → mitigated",
    ]


def test_security_breach_preserves_and_isolates_before_any_change(
    board, incident, open_wizard, qtbot
):
    wizard = open_wizard()
    answer_triage(wizard, security="yes")
    wizard.currentPage().answer_edits["security.note"].setText("unknown admin logins")
    security = next_page(qtbot, wizard)
    assert isinstance(security, SecurityPage)
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentPage() is security  # nothing ticked and no reason: refused
    assert "destroy" in security.error.text()
    for check in security.checks:
        check.setChecked(True)
    rollback = next_page(qtbot, wizard)
    assert rollback.option.key == "rollback"
    texts = [text for _kind, text in record(board, incident.id)]
    assert texts == [
        started(incident),
        "Triage: Is this a security breach? Yes — unknown admin logins",
        "Security path: preserve evidence and isolate before changing anything",
        "Security path done: " + "; ".join(c.text() for c in security.checks),
    ]


def test_a_second_change_while_one_is_unverified_warns_and_records_the_override(
    board, incident, open_wizard, qtbot
):
    wizard = open_wizard()
    rollback = next_page(qtbot, wizard)
    apply_option(rollback, "revert 4812", "errors stop")
    verify_page = next_page(qtbot, wizard)
    assert "One change at a time" in verify_page.state.text()
    scale = next_page(qtbot, wizard)
    assert scale.override.isVisible()
    assert "you won't be able to tell which change fixed it" in scale.override.text()
    apply_option(scale, "add 4 nodes", "latency down")
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentPage() is scale  # refused without a reason
    assert "you won't be able to tell which change fixed it" in scale.error.text()
    assert [k for k, _t in record(board, incident.id)].count(EventKind.MITIGATION) == 1

    scale.override_reason.setText("CPU pegged at 100 %, cannot wait")
    next_page(qtbot, wizard)
    assert [text for _kind, text in record(board, incident.id)][-2:] == [
        "Second change while revert 4812 is unverified, on purpose: CPU pegged at 100 %, "
        "cannot wait",
        "Applied scale: add 4 nodes (by alice); expected: latency down; check back in 10 min",
    ]


def test_marking_mitigated_without_a_verification_is_refused(
    board, incident, open_wizard, qtbot, clock
):
    wizard = open_wizard()
    rollback = next_page(qtbot, wizard)
    apply_option(rollback, "revert 4812", "errors stop")
    verify_page = next_page(qtbot, wizard)
    clock.advance(minutes=10)
    board.tick()
    answer_check_back(qtbot, verify_page, worked=True)
    before = record(board, incident.id)
    verify(qtbot, verify_page, "   ")
    assert "which check showed recovery" in verify_page.error.text()
    assert verify_page.error.isVisible()
    assert board.service.get(incident.id).status is Status.ACTIVE
    assert record(board, incident.id) == before


def test_the_check_back_question_appears_on_board_and_incident_when_the_clock_reaches_it(
    board, incident, open_wizard, qtbot, clock
):
    wizard = open_wizard()
    rollback = next_page(qtbot, wizard)
    apply_option(rollback, "revert 4812", "errors stop", minutes=10)
    next_page(qtbot, wizard)
    wizard.reject()
    detail = board.window.open_incident(incident.id)
    bars = (board.window.check_backs, detail.check_backs)

    clock.advance(minutes=9, seconds=59)
    board.tick()
    for bar in bars:
        assert bar.isVisible() and bar.due_rows() == []
    assert board.window.check_backs.texts() == [
        "◷ #1 Checkout returns 500 — Checking “revert 4812”: check back in 0:01"
    ]
    clock.advance(seconds=1)
    board.tick()
    assert board.window.check_backs.texts() == [
        "⚠ Check back now: #1 Checkout returns 500 — Did “revert 4812” work?  (due 0:00 ago)"
    ]
    assert detail.check_backs.texts() == [
        "⚠ Check back now: Did “revert 4812” work?  (due 0:00 ago)"
    ]
    [row] = board.window.check_backs.due_rows()
    qtbot.mouseClick(row.worked, Qt.MouseButton.LeftButton)
    assert record(board, incident.id)[-1] == (
        EventKind.CHECK_BACK,
        "Check-back: revert 4812 worked",
    )
    for bar in bars:
        assert bar.isHidden()


def test_a_malformed_team_playbook_is_named_and_the_built_in_still_works(
    board, incident, isolated_dirs, qtbot
):
    from warroom.system.paths import resolve_paths

    folder = resolve_paths().user_playbooks
    folder.mkdir(parents=True)
    bad = folder / "broken.toml"
    bad.write_text('name = "Broken"\n[[option]]\nkey = "x"\ntitle = "X"\n', encoding="utf-8")
    (folder / "database.toml").write_text(
        'name = "Database failover"\n'
        "[[option]]\n"
        'key = "promote"\ntitle = "Promote the replica"\n'
        'question = "Is the primary down?"\nsteps = ["Check replication lag", "Promote"]\n',
        encoding="utf-8",
    )
    wizard = board.window.open_wizard(incident.id)
    triage = wizard.currentPage()
    assert triage.warnings.isVisible()
    assert str(bad) in triage.warnings.text()
    assert "option[1].question" in triage.warnings.text()
    names = [triage.playbook_combo.itemText(i) for i in range(triage.playbook_combo.count())]
    assert names == ["Standard mitigation", "Database failover"]

    rollback = next_page(qtbot, wizard)
    apply_option(rollback, "revert 4812", "errors stop")
    next_page(qtbot, wizard)
    assert record(board, incident.id)[1][1].startswith("Applied roll back: revert 4812")

    # The team's playbook is offered and walks its own options, with the built-in triage.
    wizard.restart()
    triage.playbook_combo.setCurrentIndex(1)
    assert len(triage.answer_edits) >= 10
    promote = next_page(qtbot, wizard)
    assert promote.title() == "Option 1 of 1: Promote the replica"


def test_closing_mid_way_and_reopening_resumes_where_it_was_left(
    board, incident, open_wizard, open_board, qtbot
):
    wizard = open_wizard()
    answer_triage(wizard, impact="EU checkout fails")
    rollback = next_page(qtbot, wizard)
    skip_option(rollback, "no deploy in 24 h")
    scale = next_page(qtbot, wizard)
    scale.apply_radio.setChecked(True)
    qtbot.keyClicks(scale.action, "add 4 nodes")
    qtbot.wait(0)
    press(qtbot, wizard, QWizard.WizardButton.CancelButton)  # "Close (resume later)"
    assert not board.window.wizards

    restarted = open_board()  # as after quitting the app
    wizard = restarted.window.open_wizard(incident.id)
    page = wizard.currentPage()
    assert isinstance(page, OptionPage) and page.option.key == "scale"
    assert page.apply_radio.isChecked()
    assert page.action.text() == "add 4 nodes"
    # Back still leads through what was done, with the answers given.
    press(qtbot, wizard, QWizard.WizardButton.BackButton)
    assert wizard.currentPage().option.key == "rollback"
    assert "Skipped" in wizard.currentPage().decided.text()
    press(qtbot, wizard, QWizard.WizardButton.BackButton)
    assert wizard.currentPage().answer_edits["impact"].text() == "EU checkout fails"
    # Nothing was recorded twice on the way.
    assert [t for _k, t in record(restarted, incident.id)].count(
        "Rejected roll back: no deploy in 24 h"
    ) == 1


def test_typing_is_kept_within_a_second_without_closing(board, incident, open_wizard, qtbot):
    wizard = open_wizard()
    rollback = next_page(qtbot, wizard)
    rollback.skip_radio.setChecked(True)
    qtbot.keyClicks(rollback.reason, "no deploy")
    qtbot.waitUntil(
        lambda: (
            (board.window.mitigations.progress(incident.id).fields.get("option:rollback", {})).get(
                "reason"
            )
            == "no deploy"
        ),
        timeout=30_000,
    )


def test_the_wizard_works_from_the_keyboard(board, incident, qtbot):
    detail = board.window.open_incident(incident.id)
    detail.activateWindow()
    qtbot.waitUntil(detail.isActiveWindow, timeout=30_000)
    qtbot.keyClick(detail, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    wizard = board.window.wizards[incident.id]
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow, timeout=30_000)
    triage = wizard.currentPage()
    triage.answer_edits["impact"].setFocus()
    qtbot.keyClicks(triage.answer_edits["impact"], "EU checkout fails")
    qtbot.keyClick(triage.answer_edits["impact"], Qt.Key.Key_Return)  # Enter is Next
    rollback = wizard.currentPage()
    assert rollback.option.key == "rollback"
    qtbot.keyClick(rollback, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(rollback.skip_radio.isChecked, timeout=30_000)  # a mnemonic animates
    assert rollback.reason.hasFocus()  # typing goes straight to the reason
    qtbot.keyClicks(rollback.reason, "no deploy in 24 h")
    qtbot.keyClick(rollback.reason, Qt.Key.Key_Return)
    assert wizard.currentPage().option.key == "scale"
    assert record(board, incident.id)[-1] == (
        EventKind.MITIGATION,
        "Rejected roll back: no deploy in 24 h",
    )


def test_recovery_can_be_verified_without_walking_every_option(board, incident, open_wizard, qtbot):
    wizard = open_wizard()
    answer_triage(wizard, impact="EU checkout fails")
    press(qtbot, wizard, QWizard.WizardButton.CustomButton1)  # "Verify recovery…"
    assert wizard.currentPage() is wizard.verify
    assert not wizard.button(QWizard.WizardButton.CustomButton1).isVisible()
    verify(qtbot, wizard.verify, "errors stopped after the upstream fix, 0.05 % for 15 min")
    assert [text for _kind, text in record(board, incident.id)] == [
        "Triage: What is the user impact right now? EU checkout fails",
        "Recovery verified (health check passing): errors stopped after the upstream fix, "
        "0.05 % for 15 min",
        "Status changed: triage → mitigated",
    ]


def test_recovery_measured_earlier_is_recorded_at_its_own_time(
    board, incident, open_wizard, qtbot, clock
):
    """Entered afterwards: the verification and the move to mitigated sit when recovery
    was measured, typed with its zone, not when it was typed."""
    wizard = open_wizard()
    press(qtbot, wizard, QWizard.WizardButton.CustomButton1)  # "Verify recovery…"
    page = wizard.verify
    measured = clock.now() - timedelta(minutes=6)
    page.measured_at.setFocus()
    qtbot.keyClicks(page.measured_at, measured.strftime("%Y-%m-%d %H:%M UTC"))
    verify(qtbot, page, "5xx at 0.04 % for 10 min")
    stored = board.service.get(incident.id)
    assert stored.mitigated_at == measured.replace(second=0, microsecond=0)
    rows = [
        e for e in board.service.timeline(incident.id) if e.text.startswith(("Recovery", "Status"))
    ]
    assert [(e.at, e.text.split(":")[0]) for e in rows] == [
        (stored.mitigated_at, "Recovery verified (health check passing)"),
        (stored.mitigated_at, "Status changed"),
    ]


def test_a_security_incident_warns_to_preserve_evidence_before_a_change(
    board, incident, open_wizard, qtbot
):
    wizard = open_wizard()
    answer_triage(wizard, security="yes")
    security = next_page(qtbot, wizard)
    for check in security.checks:
        check.setChecked(True)
    rollback = next_page(qtbot, wizard)
    assert rollback.preserve.isVisible()
    assert "Preserve before you change" in rollback.preserve.text()
    apply_option(rollback, "revert 4812", "errors stop")
    press(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentPage() is rollback
    assert "Preserve before you change" in rollback.error.text()
    assert EventKind.MITIGATION not in [k for k, _t in record(board, incident.id)]

    rollback.preserve_reason.setText("card data leaking right now: stop it first")
    next_page(qtbot, wizard)
    override, applied = [t for _k, t in record(board, incident.id)][-3:-1]
    assert override.startswith("Changed systems before evidence was preserved (still pending: ")
    assert override.endswith("): card data leaking right now: stop it first")
    assert applied.startswith("Applied roll back: revert 4812")


def test_no_evidence_warning_once_everything_is_preserved(board, incident, open_wizard, qtbot):
    evidence = board.window.evidence
    for item in evidence.checklist(incident.id):
        evidence.mark_not_applicable(item.id, "kept by the security team's own tooling")
    wizard = open_wizard()
    answer_triage(wizard, security="yes")
    security = next_page(qtbot, wizard)
    for check in security.checks:
        check.setChecked(True)
    rollback = next_page(qtbot, wizard)
    assert not rollback.preserve.isVisible()
    apply_option(rollback, "revert 4812", "errors stop")
    next_page(qtbot, wizard)
    assert record(board, incident.id)[-2][1].startswith("Applied roll back: revert 4812")


def test_the_reason_to_change_before_preserving_is_kept_on_close(
    board, incident, open_wizard, qtbot
):
    wizard = open_wizard()
    answer_triage(wizard, security="yes")
    security = next_page(qtbot, wizard)
    for check in security.checks:
        check.setChecked(True)
    rollback = next_page(qtbot, wizard)
    rollback.apply_radio.setChecked(True)
    qtbot.keyClicks(rollback.preserve_reason, "card data leaking")
    wizard.reject()
    again = board.window.open_wizard(incident.id)
    assert again.currentPage().preserve_reason.text() == "card data leaking"
    # Back and Next over the security page do not record its steps twice.
    press(qtbot, again, QWizard.WizardButton.BackButton)
    next_page(qtbot, again)
    texts = [t for _k, t in record(board, incident.id)]
    assert sum(t.startswith("Security path done") for t in texts) == 1


def test_triage_starts_from_the_incident_and_records_it_only_on_next(board, clock, qtbot):
    from PySide6.QtWidgets import QApplication

    from warroom.ui.theme import apply_theme

    apply_theme(QApplication.instance(), "light")
    incident = board.service.declare(
        "Checkout returns 500",
        "P1",
        impact="EU checkouts fail",
        impact_started_at=clock.now() - timedelta(minutes=14),
    )
    wizard = board.window.open_wizard(incident.id)
    triage = wizard.currentPage()
    impact, when = triage.answer_edits["impact"], triage.answer_edits["started"]
    assert impact.text() == "EU checkouts fail"
    assert when.text() == started(incident).removeprefix("Triage: When did it start? ")
    assert impact.font().italic() and when.font().italic()  # shown as prefilled
    assert triage.prefilled_note.isVisible()
    assert triage.prefilled_note.text().startswith("Answers 1 and 2 (in italics) come from")
    assert record(board, incident.id) == []  # opening records nothing

    qtbot.keyClicks(impact, " and US")  # edited: the user's own answer now
    assert not impact.font().italic() and when.font().italic()
    assert triage.prefilled_note.text().startswith("Answer 2 (in italics)")
    assert triage.prefilled_note.text().endswith("They are recorded when you press Next.")
    next_page(qtbot, wizard)
    assert [text for _kind, text in record(board, incident.id)] == [
        "Triage: What is the user impact right now? EU checkouts fail and US",
        started(incident),
    ]


def test_an_impact_start_left_at_the_declaration_is_not_offered_as_an_answer(board, qtbot):
    incident = board.service.declare("Search slow", "P2")  # impact start: when declared
    wizard = board.window.open_wizard(incident.id)
    triage = wizard.currentPage()
    assert triage.answer_edits["started"].text() == ""
    assert triage.answer_edits["impact"].text() == "" and triage.prefilled_note.isHidden()


def test_going_straight_to_verify_records_no_answer_the_user_did_not_confirm(
    board, incident, qtbot
):
    board.service.edit_impact(incident.id, "EU checkouts fail")
    wizard = board.window.open_wizard(incident.id)
    assert wizard.currentPage().answer_edits["impact"].text() == "EU checkouts fail"
    press(qtbot, wizard, QWizard.WizardButton.CustomButton1)  # "Verify recovery…"
    assert wizard.currentPage() is wizard.verify
    assert [e for e in record(board, incident.id) if e[0] is EventKind.TRIAGE] == []


def _applied_rollback_check_back(board, open_wizard, qtbot, clock):
    wizard = open_wizard()
    answer_triage(wizard, impact="checkout down")
    rollback = next_page(qtbot, wizard)
    apply_option(rollback, "revert 4812", "5xx under 0.1 %", minutes=10)
    check = next_page(qtbot, wizard)
    assert isinstance(check, VerifyPage)
    clock.advance(minutes=11)
    check.refresh(clock.now())
    return wizard, check


def test_the_check_back_offers_four_outcomes_and_records_partly(
    board, incident, open_wizard, qtbot, clock
):
    wizard, check = _applied_rollback_check_back(board, open_wizard, qtbot, clock)
    [row] = check.check_backs.due_rows()
    shown = [b.text() for b in row.outcomes.values() if b.isVisible()]
    assert shown == ["Worked", "Partly", "No effect", "Made it worse"]
    assert row.park.isVisible() and not row.worked.isVisible() and not row.failed.isVisible()
    qtbot.mouseClick(row.outcomes[Outcome.PARTLY], Qt.MouseButton.LeftButton)
    assert record(board, incident.id)[-1] == (
        EventKind.CHECK_BACK,
        "Check-back: revert 4812 partly worked",
    )
    assert "partly worked" in check.state.text()
    assert check.check_backs.rows() == []


def test_park_needs_what_it_waits_on_and_does_not_hold_up_mitigated(
    board, incident, open_wizard, qtbot, clock
):
    wizard, check = _applied_rollback_check_back(board, open_wizard, qtbot, clock)
    [row] = check.check_backs.due_rows()
    qtbot.mouseClick(row.park, Qt.MouseButton.LeftButton)
    assert "Say who or what" in check.error.text()
    check.waiting_on.setText("the CDN vendor, ticket 5521")
    qtbot.mouseClick(row.park, Qt.MouseButton.LeftButton)
    assert record(board, incident.id)[-1] == (
        EventKind.CHECK_BACK,
        "Parked revert 4812: waiting on the CDN vendor, ticket 5521",
    )
    [parked] = check.check_backs.rows()
    assert not parked.park.isVisible() and "parked" in parked.label.text()
    assert "does not hold up verification" in check.state.text()
    verify(qtbot, check, "5xx at 0.04 % for 10 min")
    assert board.service.get(incident.id).status is Status.MITIGATED
