"""The rules of containment, outcomes, parked steps and volatile evidence, without Qt or SQL:
which unverified steps a new one waits for, what a check-back can answer, what a parked or
partly-working step leads to, which containment is still in force, and which evidence items
hold up a change on a security incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.evidence import (
    ChecklistError,
    ChecklistItem,
    ItemState,
    blocking_change,
    load_checklist_file,
    parse_checklist,
)
from warroom.domain.mitigation import (
    ANSWERS,
    Decision,
    Mitigation,
    Outcome,
    StepKind,
    answer_outcome,
    blocking_changes,
    containment_in_force,
    kind_of_option,
    outcome_text,
    unverified,
)
from warroom.domain.mitigation_flow import DONE, FlowFacts, check_step, next_step, option_step
from warroom.services.evidence import builtin_checklist_file

AT = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)
OPTIONS = ("rollback", "scale", "rate_limit")


def step(id, kind, outcome=Outcome.PENDING, decision=Decision.APPLIED, key="", action=""):
    return Mitigation(
        id=id,
        incident_id=7,
        option_key=key or kind.value or "custom",
        option_verb="do it",
        decision=decision,
        decided_at=AT + timedelta(minutes=id),
        decided_by="ana",
        action=action or f"step {id}",
        outcome=outcome if decision is Decision.APPLIED else None,
        kind=kind,
    )


# -- kinds -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("rollback", StepKind.ROLLBACK),
        ("scale", StepKind.SCALE),
        ("failover", StepKind.FAILOVER),
        ("disable_feature", StepKind.FEATURE_FLAG),
        ("redirect", StepKind.REDIRECT),
        ("rate_limit", StepKind.RATE_LIMIT),
        ("contain", StepKind.CONTAINMENT),
        ("something_else", StepKind.UNSPECIFIED),
    ],
)
def test_an_options_kind_comes_from_its_key_where_plain(key, kind):
    assert kind_of_option(key) is kind


# -- one change at a time, except containment among itself -------------------------------------
def test_a_second_containment_does_not_wait_for_the_first():
    first = step(1, StepKind.CONTAINMENT)
    assert blocking_changes([first], StepKind.CONTAINMENT) == []


def test_any_other_change_waits_for_an_unverified_containment():
    first = step(1, StepKind.CONTAINMENT)
    assert blocking_changes([first], StepKind.ROLLBACK) == [first]


def test_a_containment_still_waits_for_an_unverified_change_of_another_kind():
    rollback = step(1, StepKind.ROLLBACK)
    contain = step(2, StepKind.CONTAINMENT)
    assert blocking_changes([rollback, contain], StepKind.CONTAINMENT) == [rollback]


def test_a_parked_step_is_not_unverified_and_blocks_nothing():
    parked = step(1, StepKind.ROLLBACK, Outcome.PARKED)
    assert parked.parked and not parked.unverified and parked.answerable
    assert unverified([parked]) == []
    assert blocking_changes([parked], StepKind.SCALE) == []


# -- outcomes ----------------------------------------------------------------------------------
def test_a_check_back_answers_one_of_four_outcomes():
    assert ANSWERS == (Outcome.WORKED, Outcome.PARTLY, Outcome.NO_EFFECT, Outcome.MADE_WORSE)
    for outcome in ANSWERS:
        assert answer_outcome(outcome.value) is outcome
    for not_an_answer in ("pending", "parked", "did_not_work", "maybe"):
        with pytest.raises(ValueError, match="a check-back answers one of"):
            answer_outcome(not_an_answer)


def test_a_caller_that_only_knows_worked_or_not_still_records_that():
    assert answer_outcome(True) is Outcome.WORKED
    assert answer_outcome(False) is Outcome.DID_NOT_WORK


def test_the_old_did_not_work_still_reads_as_a_failure():
    old = Outcome("did_not_work")  # as rows before the four outcomes stored it
    assert old.failed and old.checked
    assert outcome_text(step(1, StepKind.UNSPECIFIED), old, "") == "Check-back: step 1 did not work"


@pytest.mark.parametrize(
    ("outcome", "text"),
    [
        (Outcome.WORKED, "Check-back: step 1 worked"),
        (Outcome.PARTLY, "Check-back: step 1 partly worked"),
        (Outcome.NO_EFFECT, "Check-back: step 1 had no effect"),
        (Outcome.MADE_WORSE, "Check-back: step 1 made it worse"),
    ],
)
def test_each_outcome_reads_as_a_sentence(outcome, text):
    assert outcome_text(step(1, StepKind.ROLLBACK), outcome, "") == text


# -- the wizard's path -------------------------------------------------------------------------
@pytest.mark.parametrize("outcome", [Outcome.NO_EFFECT, Outcome.MADE_WORSE, Outcome.DID_NOT_WORK])
def test_a_failed_step_leads_on_past_its_check_back(outcome):
    facts = FlowFacts.of(OPTIONS, [step(1, StepKind.ROLLBACK, outcome, key="rollback")])
    assert next_step(facts, option_step("rollback")) == option_step("scale")
    assert next_step(facts, check_step("rollback")) == option_step("scale")


@pytest.mark.parametrize("outcome", [Outcome.PARTLY, Outcome.PARKED])
def test_a_partly_working_or_parked_step_leads_on_to_the_next_option(outcome):
    facts = FlowFacts.of(OPTIONS, [step(1, StepKind.ROLLBACK, outcome, key="rollback")])
    assert next_step(facts, check_step("rollback")) == option_step("scale")


def test_a_working_step_ends_the_path():
    facts = FlowFacts.of(OPTIONS, [step(1, StepKind.ROLLBACK, Outcome.WORKED, key="rollback")])
    assert next_step(facts, check_step("rollback")) == DONE


def test_an_incident_marked_security_takes_the_security_path_without_a_triage_answer():
    facts = FlowFacts.of(OPTIONS, is_security=True)
    assert facts.security
    assert next_step(facts, "triage") == "security"


# -- containment in force ----------------------------------------------------------------------
def test_containment_in_force_until_removed():
    block = step(1, StepKind.CONTAINMENT, Outcome.WORKED, key="rate_limit", action="block 3 IPs")
    isolate = step(2, StepKind.CONTAINMENT, Outcome.PARKED, key="contain", action="isolate db-2")
    failed = step(3, StepKind.CONTAINMENT, Outcome.NO_EFFECT, key="contain", action="drop port")
    rollback = step(4, StepKind.ROLLBACK, Outcome.WORKED, key="rollback")
    assert containment_in_force([block, isolate, failed, rollback]) == [block, isolate]
    removed = step(
        5, StepKind.CONTAINMENT, decision=Decision.REMOVED, key="rate_limit", action="block 3 IPs"
    )
    assert containment_in_force([block, isolate, failed, rollback, removed]) == [isolate]


# -- volatile evidence -------------------------------------------------------------------------
def item(id, name, state=ItemState.PENDING, before_change=False, security_only=False):
    return ChecklistItem(
        id=id,
        incident_id=7,
        position=id,
        name=name,
        state=state,
        reason="",
        rotates_at=None,
        security_only=security_only,
        artifact_ids=(),
        before_change=before_change,
    )


def test_only_pending_volatile_items_block_a_change_on_a_security_incident():
    memory = item(1, "Process and memory state", before_change=True, security_only=True)
    logs = item(2, "Application logs", before_change=True)
    collected = item(3, "Error messages", ItemState.COLLECTED, before_change=True)
    waived = item(4, "Metric snapshots", ItemState.NOT_APPLICABLE, before_change=True)
    status = item(5, "External status pages")
    items = [memory, logs, collected, waived, status]
    assert blocking_change(items, security_incident=True) == [memory, logs]
    assert blocking_change(items, security_incident=False) == []


def test_the_built_in_checklist_marks_volatile_items_and_not_status_pages():
    template = load_checklist_file(builtin_checklist_file())
    volatile = {t.name for t in template.items if t.before_change}
    assert "Process and memory state" in volatile
    assert "Application logs around the start" in volatile
    assert "External status pages" not in volatile
    assert "Deploy history and diffs (last 24 h)" not in volatile


def test_a_checklist_item_is_marked_by_the_template_by_name():
    template = parse_checklist(
        {"item": [{"name": "Memory image", "before_change": True}, {"name": "Status page"}]},
        "team.toml",
    )
    marked = template.marked([item(1, "memory image"), item(2, "Status page")])
    assert [i.before_change for i in marked] == [True, False]


def test_before_change_must_be_true_or_false():
    with pytest.raises(ChecklistError, match=r"item\[1\]\.before_change: must be true or false"):
        parse_checklist({"item": [{"name": "Memory", "before_change": "yes"}]}, "team.toml")
