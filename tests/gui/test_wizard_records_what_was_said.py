"""The mitigation wizard records what the user said, and only that: no default time for the
change, no default kind of check; and Enter in the verify page's fields records (or shows
why not) without pressing the wizard's default button, which would close it unseen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from tests.gui.helpers import focus, local_hm
from warroom.domain.incident import EventKind
from warroom.domain.lifecycle import Status
from warroom.ui.mitigation_pages import OptionPage, VerifyPage


@pytest.fixture
def incident(board, clock):
    # Impact started at 13:46 UTC; the fake clock reads 14:00 UTC.
    return board.service.declare(
        "Checkout returns 500", "P1", impact_started_at=clock.now() - timedelta(minutes=14)
    )


@pytest.fixture
def wizard(board, incident):
    return board.window.open_wizard(incident.id)


def timeline(board, incident_id) -> list[str]:
    """The record past triage (triage restates the incident's own facts as answers)."""
    return [
        event.text
        for event in board.service.timeline(incident_id)
        if event.kind is not EventKind.TRIAGE
    ]


def click(qtbot, wizard, which) -> None:
    qtbot.mouseClick(wizard.button(which), Qt.MouseButton.LeftButton)


def to_rollback(qtbot, wizard, **answers) -> OptionPage:
    triage = wizard.currentPage()
    for key, text in answers.items():
        triage.answer_edits[key].setText(text)
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    page = wizard.currentPage()
    assert isinstance(page, OptionPage) and page.option.key == "rollback"
    return page


def to_verify(qtbot, wizard) -> VerifyPage:
    click(qtbot, wizard, QWizard.WizardButton.CustomButton1)  # "Verify recovery…"
    assert wizard.currentPage() is wizard.verify
    return wizard.verify


# -- the roll-back page's "Made at" -------------------------------------------------------------
def test_made_at_starts_empty_and_no_sentence_is_made_up(qtbot, board, incident, wizard):
    page = to_rollback(qtbot, wizard)
    assert page.change_time.text() == ""
    assert "came" not in page.gap.text()  # no claim about how the change lines up
    assert "Type when the change was made" in page.gap.text()
    page.apply_radio.setChecked(True)
    qtbot.keyClicks(page.change_edit, "deploy 4812")
    qtbot.keyClicks(page.action, "revert to 4811")
    qtbot.keyClicks(page.expected, "5xx under 0.1 %")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert timeline(board, incident.id)[1] == (
        "Applied roll back: revert to 4811 (by alice); expected: 5xx under 0.1 %; "
        "check back in 10 min; suspected change: deploy 4812"
    )


def test_a_typed_time_says_how_the_change_lines_up(qtbot, board, clock, incident, wizard):
    page = to_rollback(qtbot, wizard)
    qtbot.keyClicks(page.change_edit, "deploy 4812")
    qtbot.keyClicks(page.change_time, local_hm(clock.now() - timedelta(minutes=16)))
    assert page.gap.text().startswith("deploy 4812 came 2 min before impact started")
    page.change_time.clear()
    qtbot.keyClicks(page.change_time, "13:6")
    assert "is not a time" in page.gap.text()
    page.apply_radio.setChecked(True)
    qtbot.keyClicks(page.expected, "errors stop")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    assert wizard.currentPage() is page  # refused, and why is shown
    assert "is not a time" in page.error.text()
    assert timeline(board, incident.id) == ["Declared P1: Checkout returns 500"]


def test_a_time_written_in_triage_is_offered_and_said_to_be_from_there(
    qtbot, board, clock, incident, wizard
):
    deployed = local_hm(clock.now() - timedelta(minutes=16))
    page = to_rollback(qtbot, wizard, changed=f"deploy 4812 at {deployed}")
    assert page.change_time.text() == deployed
    assert page.gap.text().startswith("The change came 2 min before impact started")
    assert page.gap.text().endswith("The time is from your triage answer.")
    page.change_time.clear()
    qtbot.keyClicks(page.change_time, deployed)  # typed here: no longer said to be from triage
    assert "triage" not in page.gap.text()


def test_a_triage_answer_without_a_time_offers_none(qtbot, wizard):
    page = to_rollback(qtbot, wizard, changed="deploy 4812 this afternoon")
    assert page.change_time.text() == ""


# -- the verify page ---------------------------------------------------------------------------
def test_the_check_starts_with_no_choice_and_recording_needs_one(qtbot, board, incident, wizard):
    page = to_verify(qtbot, wizard)
    assert page.check_kind.currentIndex() == -1
    assert page.check_kind.currentText() == ""
    assert page.check_kind.placeholderText() == "Choose how recovery was measured…"
    page.detail.setText("5xx at 0.04 % for 10 min")
    qtbot.mouseClick(page.mitigated_button, Qt.MouseButton.LeftButton)
    assert "choose how recovery was measured" in page.error.text()
    assert page.check_kind.hasFocus() or not wizard.isActiveWindow()
    assert board.service.get(incident.id).status is Status.TRIAGE
    assert timeline(board, incident.id) == ["Declared P1: Checkout returns 500"]


def test_enter_in_an_empty_measurement_shows_the_refusal_and_keeps_the_wizard(
    qtbot, board, incident, wizard
):
    page = to_verify(qtbot, wizard)
    page.check_kind.setCurrentIndex(page.check_kind.findData("error_rate"))
    focus(qtbot, page.detail)
    qtbot.keyClick(page.detail, Qt.Key.Key_Return)
    assert wizard.isVisible() and wizard.currentPage() is page
    assert page.error.isVisible()
    assert "which check showed recovery" in page.error.text()
    assert board.service.get(incident.id).status is Status.TRIAGE


def test_enter_with_a_measurement_records_it_and_the_wizard_shows_the_result(
    qtbot, board, incident, wizard
):
    page = to_verify(qtbot, wizard)
    page.check_kind.setCurrentIndex(page.check_kind.findData("error_rate"))
    focus(qtbot, page.detail)
    qtbot.keyClicks(page.detail, "5xx at 0.04 % for 10 min")
    qtbot.keyClick(page.detail, Qt.Key.Key_Return)
    assert board.service.get(incident.id).status is Status.MITIGATED
    assert wizard.isVisible() and wizard.currentPage() is page
    assert page.done_label.isVisible()
    assert page.done_label.text().startswith("✔ Mitigated at")
    focus(qtbot, page.done_label.window().button(QWizard.WizardButton.FinishButton))


def test_enter_with_no_check_chosen_is_refused_in_view(qtbot, board, incident, wizard):
    page = to_verify(qtbot, wizard)
    focus(qtbot, page.link)
    qtbot.keyClicks(page.detail, "5xx at 0.04 %")
    qtbot.keyClick(page.link, Qt.Key.Key_Enter)
    assert wizard.isVisible() and wizard.currentPage() is page
    assert "choose how recovery was measured" in page.error.text()
    assert board.service.get(incident.id).status is Status.TRIAGE


# -- end to end: the record holds what was typed, nothing more --------------------------------
def test_the_timeline_and_post_mortem_hold_only_what_was_typed(
    qtbot, board, clock, incident, wizard
):
    page = to_rollback(qtbot, wizard, impact="EU checkout fails")
    page.apply_radio.setChecked(True)
    qtbot.keyClicks(page.change_edit, "deploy 4812")
    qtbot.keyClicks(page.action, "revert to 4811")
    qtbot.keyClicks(page.expected, "5xx under 0.1 %")
    click(qtbot, wizard, QWizard.WizardButton.NextButton)
    check = wizard.currentPage()
    assert isinstance(check, VerifyPage)
    clock.advance(minutes=10)
    board.tick()
    [row] = check.check_backs.due_rows()
    qtbot.mouseClick(row.worked, Qt.MouseButton.LeftButton)
    check.check_kind.setCurrentIndex(check.check_kind.findData("key_metric"))
    focus(qtbot, check.detail)
    qtbot.keyClicks(check.detail, "orders per minute back to 410")
    qtbot.keyClick(check.detail, Qt.Key.Key_Return)

    triage = [e.text for e in board.service.timeline(incident.id) if e.kind is EventKind.TRIAGE]
    assert "Triage: What is the user impact right now? EU checkout fails" in triage
    assert timeline(board, incident.id) == [
        "Declared P1: Checkout returns 500",
        "Applied roll back: revert to 4811 (by alice); expected: 5xx under 0.1 %; "
        "check back in 10 min; suspected change: deploy 4812",
        "Status changed: triage → active: mitigation under way",
        "Check-back: revert to 4811 worked",
        "Recovery verified (key metric recovered): orders per minute back to 410",
        "Status changed: active → mitigated",
    ]
    written = board.window.postmortems.markdown(incident.id)
    for default in ("health check passing", "exactly when impact started", "came "):
        assert default not in written
    assert "orders per minute back to 410" in written
