"""The mitigation path without a window: which step the commander is shown next, given the
triage answers and the decisions recorded so far, on the shipped playbook's options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.mitigation import Decision, Mitigation, Outcome
from warroom.domain.mitigation_flow import (
    DONE,
    SECURITY,
    TRIAGE,
    VERIFY,
    FlowFacts,
    check_step,
    last_applied,
    next_step,
    offers_verify,
    option_after_last_decided,
    option_step,
)
from warroom.domain.playbook import TriageFlag, load_playbook_file
from warroom.system.paths import builtin_playbook_file

START = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
SHIPPED_ORDER = ("rollback", "scale", "failover", "disable_feature", "redirect", "rate_limit")


@pytest.fixture(scope="module")
def options():
    return tuple(option.key for option in load_playbook_file(builtin_playbook_file()).options)


def decided(*decisions):
    """Mitigations recorded a minute apart, in the order given: (key, decision[, outcome])."""
    recorded = []
    for n, (key, decision, *outcome) in enumerate(decisions, start=1):
        if decision is Decision.APPLIED:
            result = outcome[0] if outcome else Outcome.PENDING
        else:
            result = None
        recorded.append(
            Mitigation(
                id=n,
                incident_id=7,
                option_key=key,
                option_verb=key.replace("_", " "),
                decision=decision,
                decided_at=START + timedelta(minutes=n),
                decided_by="ana",
                action=f"{key} now",
                outcome=result,
            )
        )
    return recorded


def facts(options, *decisions, security=False, mitigated=False):
    flags = [TriageFlag.SECURITY] if security else []
    return FlowFacts.of(options, decided(*decisions), flags, mitigated)


def walk(state, start=TRIAGE):
    """Every step shown by pressing Next from `start` until the path ends."""
    shown = [start]
    while shown[-1] != DONE and len(shown) < 50:
        shown.append(next_step(state, shown[-1]))
    return shown


APPLIED, SKIPPED, NOT_APPLICABLE = Decision.APPLIED, Decision.SKIPPED, Decision.NOT_APPLICABLE
WORKED, FAILED = Outcome.WORKED, Outcome.DID_NOT_WORK


# -- the order ----------------------------------------------------------------------------
def test_the_shipped_playbook_tries_the_options_in_the_documented_order(options):
    assert options == SHIPPED_ORDER


def test_with_nothing_decided_next_leads_through_every_option_then_verification(options):
    assert walk(facts(options)) == [
        "triage",
        "option:rollback",
        "option:scale",
        "option:failover",
        "option:disable_feature",
        "option:redirect",
        "option:rate_limit",
        "verify",
        "done",  # nothing was applied: nothing to check back on
    ]


def test_a_playbook_without_options_goes_from_triage_to_verification():
    assert walk(facts(())) == [TRIAGE, VERIFY, DONE]
    assert next_step(facts((), security=True), SECURITY) == VERIFY


def test_an_option_decided_without_a_change_leads_on_to_the_next(options):
    state = facts(options, ("rollback", SKIPPED), ("scale", NOT_APPLICABLE))
    assert next_step(state, option_step("rollback")) == option_step("scale")
    assert next_step(state, option_step("scale")) == option_step("failover")


# -- a change is checked back on before anything else ---------------------------------------
def test_an_applied_option_is_followed_by_its_check_back(options):
    state = facts(options, ("rollback", APPLIED))
    assert next_step(state, option_step("rollback")) == check_step("rollback")


def test_an_applied_option_that_worked_is_still_checked_back_then_the_path_ends(options):
    state = facts(options, ("rollback", APPLIED, WORKED))
    assert walk(state, option_step("rollback")) == ["option:rollback", "verify:rollback", "done"]


def test_an_option_that_did_not_work_leads_on_to_the_next_option(options):
    state = facts(options, ("rollback", APPLIED, FAILED))
    assert next_step(state, option_step("rollback")) == option_step("scale")
    assert next_step(state, check_step("rollback")) == option_step("scale")


def test_a_change_still_unverified_at_its_check_back_lets_the_next_option_be_shown(options):
    # The option page warns before a second change; the path itself does not stop.
    state = facts(options, ("rollback", APPLIED))
    assert next_step(state, check_step("rollback")) == option_step("scale")


def test_the_latest_decision_on_an_option_is_the_one_followed(options):
    state = facts(options, ("rollback", APPLIED), ("rollback", SKIPPED))
    assert next_step(state, option_step("rollback")) == option_step("scale")


# -- skipping what is already decided -------------------------------------------------------
def test_after_a_failed_change_the_options_already_decided_are_not_shown_again(options):
    state = facts(
        options,
        ("rollback", NOT_APPLICABLE),
        ("scale", SKIPPED),
        ("failover", APPLIED, FAILED),
    )
    assert next_step(state, check_step("failover")) == option_step("disable_feature")
    assert next_step(state, VERIFY) == option_step("disable_feature")


def test_skip_rollback_then_scale_fails_then_failover_works(options):
    """The commander's whole path, recorded step by step as each decision is made."""
    path = [TRIAGE]
    recorded = []

    def press_next(*decision):
        recorded.extend(decision)
        path.append(next_step(facts(options, *recorded), path[-1]))

    press_next()
    press_next(("rollback", SKIPPED))
    press_next(("scale", APPLIED))
    recorded[-1] = ("scale", APPLIED, FAILED)  # the check-back said it did not work
    press_next()
    press_next(("failover", APPLIED))
    recorded[-1] = ("failover", APPLIED, WORKED)
    press_next()
    assert path == [
        "triage",
        "option:rollback",
        "option:scale",
        "verify:scale",
        "option:failover",
        "verify:failover",
        "done",
    ]


# -- when everything is decided --------------------------------------------------------------
def test_when_every_option_is_decided_and_the_last_change_failed_the_path_ends(options):
    everything = [(key, SKIPPED) for key in options[:-1]] + [("rate_limit", APPLIED, FAILED)]
    state = facts(options, *everything)
    assert next_step(state, option_step("rate_limit")) == VERIFY
    assert next_step(state, check_step("rate_limit")) == DONE
    assert next_step(state, VERIFY) == DONE


def test_when_every_option_is_decided_without_a_change_verification_ends_the_path(options):
    state = facts(options, *[(key, NOT_APPLICABLE) for key in options])
    assert next_step(state, option_step("rate_limit")) == VERIFY
    assert next_step(state, VERIFY) == DONE


def test_once_mitigated_nothing_follows_verification_even_after_a_failed_change(options):
    state = facts(options, ("rollback", APPLIED, FAILED), mitigated=True)
    assert next_step(state, VERIFY) == DONE
    assert next_step(state, check_step("rollback")) == DONE


# -- the security branch ---------------------------------------------------------------------
def test_a_security_incident_preserves_and_isolates_before_the_first_option(options):
    assert walk(facts(options, security=True))[:3] == ["triage", "security", "option:rollback"]


def test_without_the_security_flag_the_security_steps_are_not_shown(options):
    assert SECURITY not in walk(facts(options))


def test_going_straight_to_verify_still_passes_the_security_steps_first(options):
    state = facts(options, security=True)
    assert next_step(state, TRIAGE, jumping=True) == SECURITY
    assert next_step(state, SECURITY, jumping=True) == VERIFY


# -- verifying before every option is tried --------------------------------------------------
@pytest.mark.parametrize("step", [TRIAGE, "option:rollback", "option:redirect"])
def test_verify_recovery_goes_straight_to_verification(options, step):
    assert next_step(facts(options), step, jumping=True) == VERIFY
    assert offers_verify(step)


def test_verify_recovery_from_an_applied_option_skips_its_check_back(options):
    state = facts(options, ("rollback", APPLIED))
    assert next_step(state, option_step("rollback"), jumping=True) == VERIFY


@pytest.mark.parametrize("step", [VERIFY, "verify:rollback"])
def test_verify_recovery_is_not_offered_where_verification_already_is(step):
    assert not offers_verify(step)


# -- what the commander is told ----------------------------------------------------------------
def test_after_a_failed_change_the_option_named_next_is_the_one_shown_next(options):
    state = facts(options, ("rollback", SKIPPED), ("scale", APPLIED, FAILED))
    assert option_after_last_decided(state) == "failover"
    assert next_step(state, VERIFY) == option_step(option_after_last_decided(state))
    assert last_applied(state.mitigations).option_key == "scale"


def test_no_option_is_named_next_once_the_last_is_decided(options):
    assert option_after_last_decided(facts(options, ("rate_limit", SKIPPED))) is None
    assert option_after_last_decided(facts(options)) == "rollback"
    assert last_applied(facts(options, ("rollback", SKIPPED)).mitigations) is None


# -- steps that are not on the path -----------------------------------------------------------
@pytest.mark.parametrize("step", ["", "option:restart", "verify:restart", "rollback"])
def test_a_step_not_on_this_playbook_is_refused(options, step):
    with pytest.raises(ValueError, match="not a step"):
        next_step(facts(options), step)
