"""Mitigation rules as the IC reads them: the change-gap sentence, the check-back limits,
which decision is in force, when a check-back is due, and a wizard that resumes even from a
damaged record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.mitigation import (
    Decision,
    Mitigation,
    Outcome,
    change_gap_text,
    check_back_span,
    latest_decisions,
    unverified,
)
from warroom.domain.wizard_state import WizardProgress

IMPACT = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def mitigation(
    id=1,
    option_key="rollback",
    decision=Decision.APPLIED,
    decided_at=IMPACT,
    outcome=None,
    check_back_at=None,
    action="",
):
    if decision is Decision.APPLIED and outcome is None:
        outcome = Outcome.PENDING
    return Mitigation(
        id=id,
        incident_id=7,
        option_key=option_key,
        option_verb=option_key.replace("_", " "),
        decision=decision,
        decided_at=decided_at,
        decided_by="ana",
        action=action,
        check_back_at=check_back_at,
        outcome=outcome,
    )


# -- change_gap_text ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "changed_at", "expected"),
    [
        pytest.param(
            "deploy 4812",
            IMPACT - timedelta(minutes=15),
            "deploy 4812 came 15 min before impact started",
            id="before",
        ),
        pytest.param(
            "deploy 4812",
            IMPACT - timedelta(hours=1, minutes=30),
            "deploy 4812 came 1 h 30 min before impact started",
            id="well-before",
        ),
        pytest.param(
            "deploy 4812", IMPACT, "deploy 4812 came exactly when impact started", id="at"
        ),
        pytest.param(
            "deploy 4812",
            IMPACT + timedelta(minutes=20),
            "deploy 4812 came 20 min after impact started: it cannot have started it",
            id="after",
        ),
        pytest.param(
            "",
            IMPACT - timedelta(minutes=5),
            "The change came 5 min before impact started",
            id="unnamed-before",
        ),
        pytest.param("", IMPACT, "The change came exactly when impact started", id="unnamed-at"),
        pytest.param(
            "",
            IMPACT + timedelta(seconds=40),
            "The change came 40 s after impact started: it cannot have started it",
            id="unnamed-after-seconds",
        ),
    ],
)
def test_change_gap_text(change, changed_at, expected):
    assert change_gap_text(change, changed_at, IMPACT) == expected


# -- check_back_span ------------------------------------------------------------------------
@pytest.mark.parametrize("minutes", [0, -5, 241, 24 * 60])
def test_check_back_span_rejects_outside_one_minute_to_four_hours(minutes):
    with pytest.raises(ValueError) as caught:
        check_back_span(minutes)
    assert str(caught.value) == "the check-back time must be between 1 min and 4 h"


@pytest.mark.parametrize(
    ("minutes", "span"),
    [(1, timedelta(minutes=1)), (10, timedelta(minutes=10)), (240, timedelta(hours=4))],
)
def test_check_back_span_accepts_one_minute_to_four_hours(minutes, span):
    assert check_back_span(minutes) == span


# -- latest_decisions -----------------------------------------------------------------------
def test_latest_decisions_keeps_the_later_decision_per_option():
    skipped = mitigation(1, "rollback", Decision.SKIPPED, IMPACT)
    scale = mitigation(2, "scale", Decision.NOT_APPLICABLE, IMPACT + timedelta(minutes=2))
    applied = mitigation(3, "rollback", Decision.APPLIED, IMPACT + timedelta(minutes=5))
    latest = latest_decisions([skipped, scale, applied])
    assert latest == {"rollback": applied, "scale": scale}


def test_latest_decisions_goes_by_time_not_list_order():
    earlier = mitigation(1, "rollback", Decision.APPLIED, IMPACT)
    later = mitigation(2, "rollback", Decision.SKIPPED, IMPACT + timedelta(minutes=5))
    assert latest_decisions([later, earlier]) == {"rollback": later}


def test_latest_decisions_at_the_same_moment_keeps_the_later_record():
    first = mitigation(4, "scale", Decision.SKIPPED, IMPACT)
    second = mitigation(9, "scale", Decision.APPLIED, IMPACT)
    assert latest_decisions([second, first]) == {"scale": second}


def test_latest_decisions_of_nothing_is_empty():
    assert latest_decisions([]) == {}


# -- unverified and check-back --------------------------------------------------------------
def test_unverified_lists_only_applied_changes_still_pending():
    pending = mitigation(1, "rollback")
    worked = mitigation(2, "scale", outcome=Outcome.WORKED)
    failed = mitigation(3, "failover", outcome=Outcome.DID_NOT_WORK)
    skipped = mitigation(4, "redirect", Decision.SKIPPED)
    not_applicable = mitigation(5, "rate_limit", Decision.NOT_APPLICABLE)
    assert unverified([pending, worked, failed, skipped, not_applicable]) == [pending]
    assert pending.unverified and not worked.unverified and not skipped.unverified


def test_check_back_is_due_exactly_at_check_back_time():
    due_at = IMPACT + timedelta(minutes=10)
    applied = mitigation(check_back_at=due_at)
    assert not applied.check_back_due(due_at - timedelta(seconds=1))
    assert applied.check_back_due(due_at)
    assert applied.check_back_due(due_at + timedelta(hours=1))


@pytest.mark.parametrize(
    "decided",
    [
        pytest.param(dict(decision=Decision.SKIPPED), id="skipped"),
        pytest.param(dict(decision=Decision.NOT_APPLICABLE), id="not-applicable"),
        pytest.param(dict(outcome=Outcome.WORKED), id="worked"),
        pytest.param(dict(outcome=Outcome.DID_NOT_WORK), id="did-not-work"),
    ],
)
def test_check_back_never_due_for_skipped_or_settled(decided):
    due_at = IMPACT + timedelta(minutes=10)
    settled = mitigation(check_back_at=due_at, **decided)
    assert not settled.check_back_due(due_at)
    assert not settled.check_back_due(due_at + timedelta(days=1))


def test_check_back_never_due_without_a_check_back_time():
    assert not mitigation(check_back_at=None).check_back_due(IMPACT + timedelta(days=1))


def test_check_back_question_names_the_action_or_the_verb():
    assert mitigation(action="revert deploy 4812").question == "Did “revert deploy 4812” work?"
    assert mitigation(option_key="disable_feature").question == "Did “disable feature” work?"


# -- WizardProgress -------------------------------------------------------------------------
def test_wizard_progress_round_trips():
    progress = WizardProgress(
        playbook="Standard mitigation",
        page="option:rollback",
        answers={"impact": "Checkout fails for 40 % of users", "security": "no"},
        fields={"option:rollback": {"action": "revert deploy 4812 — café"}},
    )
    assert WizardProgress.from_json(progress.to_json()) == progress


def test_wizard_progress_empty_round_trips():
    assert WizardProgress.from_json(WizardProgress().to_json()) == WizardProgress()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("not json", WizardProgress(), id="not-json"),
        pytest.param("[1,2]", WizardProgress(), id="a-list"),
        pytest.param("", WizardProgress(), id="empty"),
        pytest.param("null", WizardProgress(), id="null"),
        pytest.param(
            '{"answers": 5, "fields": {"a": {"x": 1, "y": "ok"}}}',
            WizardProgress(fields={"a": {"y": "ok"}}),
            id="wrong-types",
        ),
        pytest.param(
            '{"playbook": 3, "page": "triage", "answers": {"impact": "bad", "n": 2},'
            ' "fields": {"p": "text", "q": {"f": "kept"}}}',
            WizardProgress(
                page="triage", answers={"impact": "bad"}, fields={"p": {}, "q": {"f": "kept"}}
            ),
            id="mixed",
        ),
    ],
)
def test_damaged_wizard_progress_starts_afresh_where_unreadable(text, expected):
    progress = WizardProgress.from_json(text)
    assert progress == expected
    # Usable: it can be filled in and saved again.
    progress.answers["impact"] = "checkout down"
    progress.fields.setdefault("triage", {})["note"] = "x"
    again = WizardProgress.from_json(progress.to_json())
    assert again.answers["impact"] == "checkout down"
    assert again.fields["triage"] == {"note": "x"}
