"""The work after declaring, from a terminal: the mitigation wizard's steps, `verify`, the
post-mortem and its action items, and the stakeholder messages. The CLI's clock reads
2026-11-22 14:05 UTC; the incident was declared at 13:10 and is entered afterwards with --at."""

from __future__ import annotations

import json

import pytest

DAY = "2026-11-22T"


def t(hhmm: str) -> str:
    return f"{DAY}{hhmm}:00+00:00"


@pytest.fixture(autouse=True)
def named(monkeypatch):
    monkeypatch.setenv("WARROOM_ACTOR", "Dana Reyes")


@pytest.fixture
def incident(run_cli):
    code, out, err = run_cli(
        "declare", "--title", "Checkout down", "--severity", "P1", "--impact", "checkout 500s",
        "--started", t("13:00"), "--declared", t("13:10"),
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    return int(out)


def timeline(run_cli, incident_id):
    code, out, err = run_cli("show", incident_id, "--json")
    assert code == 0, err
    return json.loads(out)["timeline"]


def rows(run_cli, incident_id, *kinds):
    return [(e["at"], e["text"]) for e in timeline(run_cli, incident_id) if e["kind"] in kinds]


def must(run_cli, *args):
    code, out, err = run_cli(*args)
    assert (code, err) == (0, ""), err
    return out


def refused(run_cli, incident_id, code_wanted, *args):
    """Runs a verb that must be refused and change nothing; returns its message."""
    before = timeline(run_cli, incident_id)
    code, out, err = run_cli(*args)
    assert code == code_wanted, (code, out, err)
    assert timeline(run_cli, incident_id) == before
    return err


def apply_rollback(run_cli, incident_id, at="13:20", *extra):
    out = must(
        run_cli, "mitigation", incident_id, "apply", "rollback", "--action", "revert deploy 4812",
        "--expect", "5xx under 0.1 %", "--at", t(at), *extra,
    )  # fmt: skip
    return int(out)


def test_a_mitigation_entered_afterwards_sits_where_it_happened(run_cli, incident):
    must(run_cli, "mitigation", incident, "triage", "--answer", "rollback=yes")
    step = apply_rollback(
        run_cli, incident, "13:20", "--change", "deploy 4812", "--changed-at", t("12:58")
    )
    must(run_cli, "mitigation", incident, "outcome", "worked", "--note", "5xx 0.05 %",
         "--at", t("13:31"))  # fmt: skip
    must(run_cli, "verify", incident, "--measurement", "5xx at 0.04 % for 10 min",
         "--check", "error-rate", "--at", t("13:33"))  # fmt: skip
    code, out, _err = run_cli("mitigation", incident, "--json")
    [applied] = json.loads(out)["steps"]
    assert (applied["id"], applied["decided_at"], applied["check_back_at"]) == (
        step, t("13:20"), t("13:30"),
    )  # fmt: skip
    assert (applied["outcome"], applied["outcome_at"], applied["decided_by"]) == (
        "worked", t("13:31"), "Dana Reyes",
    )  # fmt: skip
    happened = rows(run_cli, incident, "mitigation", "check_back", "verified", "status_changed")
    assert [at for at, _text in happened] == [t("13:20"), t("13:20"), t("13:31"), t("13:33"),
                                              t("13:33")]  # fmt: skip
    texts = [text for _at, text in happened]
    assert (
        "revert deploy 4812" in texts[0]
        and "deploy 4812 came 2 min before impact started" in texts[0]
    )
    assert texts[1] == "Status changed: triage → active: mitigation under way"
    assert "worked" in texts[2] and "5xx 0.05 %" in texts[2]
    assert "error rate back to baseline" in texts[3]
    code, out, _err = run_cli("show", incident, "--json")
    assert json.loads(out)["status"] == "mitigated"


def test_one_change_at_a_time_is_refused_with_exit_3_until_a_reason_is_given(run_cli, incident):
    apply_rollback(run_cli, incident)
    err = refused(
        run_cli, incident, 3,
        "mitigation", incident, "apply", "scale", "--expect", "queue drains",
    )  # fmt: skip
    assert "“revert deploy 4812” is still unverified" in err
    assert "(add --override-reason TEXT)" in err
    must(run_cli, "mitigation", incident, "apply", "scale", "--expect", "queue drains",
         "--override-reason", "the queue is at 90 % and filling", "--at", t("13:25"))  # fmt: skip
    [(at, override)] = rows(run_cli, incident, "override")
    assert "the queue is at 90 % and filling" in override and at == t("13:25")


def test_the_check_back_needs_saying_which_when_several_are_open(run_cli, incident):
    first = apply_rollback(run_cli, incident)
    err = refused(
        run_cli, incident, 1, "mitigation", incident, "outcome", "worked", "--at", t("13:10")
    )
    assert "would be before “revert deploy 4812” was made" in err
    must(run_cli, "mitigation", incident, "apply", "scale", "--expect", "queue drains",
         "--override-reason", "queue filling")  # fmt: skip
    err = refused(run_cli, incident, 1, "mitigation", incident, "outcome", "worked")
    assert f"Several changes are open; say which with --step ({first}: revert deploy 4812" in err
    err = refused(run_cli, incident, 4, "mitigation", incident, "outcome", "worked", "--step", 99)
    assert "has no mitigation step 99" in err
    must(run_cli, "mitigation", incident, "outcome", "no-effect", "--step", first)
    code, out, _err = run_cli("mitigation", incident)
    assert "next: check back on step" in out and "scale" in out


def test_a_parked_change_waits_and_can_be_answered_later(run_cli, incident):
    step = apply_rollback(run_cli, incident)
    must(run_cli, "mitigation", incident, "park", "--waiting-on", "CDN vendor ticket 5521",
         "--at", t("13:25"))  # fmt: skip
    err = refused(run_cli, incident, 1, "mitigation", incident, "park", "--waiting-on", "x")
    assert "no change waiting for a check-back" in err
    must(run_cli, "mitigation", incident, "outcome", "partly", "--at", t("13:40"))
    code, out, _err = run_cli("mitigation", incident, "--json")
    [applied] = json.loads(out)["steps"]
    assert (applied["id"], applied["outcome"], applied["outcome_at"]) == (
        step, "partly", t("13:40"),
    )  # fmt: skip
    assert [at for at, _text in rows(run_cli, incident, "check_back")] == [t("13:25"), t("13:40")]


def test_skipping_an_option_needs_a_reason_and_not_applicable_does_not(run_cli, incident):
    err = refused(run_cli, incident, 1, "mitigation", incident, "skip", "rollback")
    assert "Say why you are not going to roll back" in err
    must(run_cli, "mitigation", incident, "skip", "rollback", "--reason", "no deploy in 24 h")
    must(run_cli, "mitigation", incident, "skip", "failover", "--not-applicable")
    texts = [text for _at, text in rows(run_cli, incident, "mitigation")]
    assert any("no deploy in 24 h" in text for text in texts)
    code, out, _err = run_cli("mitigation", incident)
    assert "next: decide “Disable the feature”" in out or "next: decide" in out


def test_an_unknown_option_names_the_playbooks_options(run_cli, incident):
    err = refused(run_cli, incident, 1, "mitigation", incident, "apply", "reboot", "--expect", "x")
    assert "has no option 'reboot'. Its options, in order: rollback, scale, failover" in err


def test_verify_needs_a_way_of_measuring_and_every_change_checked(run_cli, incident):
    err = refused(run_cli, incident, 1, "verify", incident, "--measurement", "5xx at 0.04 %")
    assert "say how recovery was measured with --check" in err
    apply_rollback(run_cli, incident)
    err = refused(
        run_cli, incident, 1,
        "verify", incident, "--measurement", "5xx at 0.04 %", "--check", "error-rate",
    )  # fmt: skip
    assert "“revert deploy 4812” is still unverified" in err


def test_triage_answers_are_kept_and_checked(run_cli, incident):
    err = refused(run_cli, incident, 1, "mitigation", incident, "triage", "--answer", "bogus=1")
    assert "Its keys: impact, started, changed" in err
    err = refused(
        run_cli, incident, 1, "mitigation", incident, "triage", "--answer", "rollback=maybe"
    )
    assert "is answered yes or no, not 'maybe'" in err
    out = must(run_cli, "mitigation", incident, "triage", "--answer", "security=yes", "--json")
    assert json.loads(out)["flags"] == ["security"]
    must(run_cli, "mitigation", incident, "triage", "--answer", "changed=deploy 4812")
    triage = [text for _at, text in rows(run_cli, incident, "triage")]
    assert triage[0] == "Triage: Is this a security breach? Yes"
    assert triage[-1] == "Triage: What changed recently? deploy 4812"
    marked = [text for _at, text in rows(run_cli, incident, "field_edited")]
    assert any("security" in text.lower() for text in marked), marked


def test_action_items_are_added_listed_and_closed(run_cli, incident):
    assert must(run_cli, "action", incident, "add", "Add a canary stage", "--owner", "Bo",
                "--due", "2026-12-20", "--priority", "high") == "1\n"  # fmt: skip
    assert must(run_cli, "action", incident, "add", "Alert on pool size") == "2\n"
    must(run_cli, "action", incident, "done", "1")
    must(run_cli, "action", incident, "done", "2", "--wont-do")
    listed = must(run_cli, "action", incident, "list").splitlines()
    assert listed[0].startswith("1. [done]") and "Add a canary stage (owner Bo, due 2026-12-20)"
    assert listed[1].startswith("2. [won't do]") and "(no owner)" in listed[1]
    items = json.loads(must(run_cli, "action", incident, "list", "--json"))
    assert [(i["action"], i["status"], i["priority"]) for i in items] == [
        ("Add a canary stage", "done", "high"), ("Alert on pool size", "wont_do", "medium"),
    ]  # fmt: skip
    err = refused(run_cli, incident, 1, "action", incident, "done", "3")
    assert "has items 1 to 2, not item 3" in err
    err = refused(run_cli, incident, 1, "action", incident, "add", "x", "--due", "next week")
    assert "is not a day such as" in err


def test_the_post_mortem_is_written_published_and_lets_the_incident_close(
    run_cli, incident, tmp_path
):
    must(run_cli, "verify", incident, "--measurement", "5xx at 0.04 %", "--check", "error-rate")
    must(run_cli, "resolve", incident)
    err = refused(run_cli, incident, 3, "close", incident)
    assert "post-mortem published first" in err
    err = refused(run_cli, incident, 3, "postmortem", incident, "publish")
    assert err.startswith("warroom: Not published: the root cause is empty")
    cause = tmp_path / "cause.md"
    cause.write_text("A config change\n\nshrank the pool to 2.\n", encoding="utf-8")
    must(run_cli, "postmortem", incident, "set", "root-cause", "--file", cause)
    must(run_cli, "postmortem", incident, "set", "authors", "--text", "Dana Reyes")
    must(run_cli, "postmortem", incident, "publish")
    must(run_cli, "close", incident)
    code, out, _err = run_cli("export", incident)
    assert "A config change\n\nshrank the pool to 2." in out
    assert [text for _at, text in rows(run_cli, incident, "postmortem")] == [
        "Post-mortem started", "Post-mortem published",
    ]  # fmt: skip


def test_a_message_is_printed_and_recorded_as_sent_only_when_asked(run_cli, incident):
    markdown = must(run_cli, "message", incident, "initial")
    plain = must(run_cli, "message", incident, "initial", "--plain")
    assert "Checkout down" in markdown and "Checkout down" in plain and markdown != plain
    assert rows(run_cli, incident, "update_sent") == []
    sent = json.loads(must(run_cli, "message", incident, "initial", "--plain", "--sent", "--json"))
    assert sent["text"] == plain.rstrip("\n") or sent["text"] == plain
    [(at, text)] = rows(run_cli, incident, "update_sent")
    assert at == "2026-11-22T14:05:00+00:00" and "Initial alert" in text
