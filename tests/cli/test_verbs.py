"""The verbs an incident's record is kept with, live or entered afterwards with --at: ack,
severity, role, update, time, status, resolve, close, reopen, security and service. The CLI's
clock reads 2026-11-22 14:05 UTC (tests/cli/conftest.py); the machine is in New York."""

from __future__ import annotations

import io
import json
import sys

import pytest

DAY = "2026-11-22T"


def t(hhmm: str) -> str:
    """'13:15' -> '2026-11-22T13:15:00+00:00', as show --json writes it."""
    return f"{DAY}{hhmm}:00+00:00"


def declare(run_cli, severity="P1", *extra):
    code, out, err = run_cli(
        "declare", "--title", "Checkout down", "--severity", severity,
        "--started", t("13:00"), "--declared", t("13:10"), *extra,
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    return int(out)


def ok(run_cli, *args):
    """Runs a verb that must succeed quietly: no output without --json."""
    code, out, err = run_cli(*args)
    assert (code, out, err) == (0, "", ""), err
    return out


def shown(run_cli, incident_id):
    code, out, err = run_cli("show", incident_id, "--json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


def last_event(run_cli, incident_id, kind):
    return [e for e in shown(run_cli, incident_id)["timeline"] if e["kind"] == kind][-1]


@pytest.fixture
def incident(run_cli):
    return declare(run_cli)


# -- each verb once, with an effective time ------------------------------------------------


def test_ack_at_a_time(run_cli, incident):
    ok(run_cli, "ack", incident, "--at", "2026-11-22T08:15:00-05:00")  # 13:15 UTC
    record = shown(run_cli, incident)
    assert record["acknowledged_at"] == t("13:15")
    assert record["response"]["acknowledged_after_seconds"] == 5 * 60
    assert record["roles"]["commander"]  # acknowledging makes the actor IC
    assert last_event(run_cli, incident, "acknowledged")["at"] == t("13:15")


def test_severity_at_a_time_with_a_reason(run_cli, incident):
    ok(run_cli, "severity", incident, "P0", "--reason", "all regions", "--at", t("13:20"))
    record = shown(run_cli, incident)
    assert (record["severity"], record["severity_changed_at"]) == ("P0", t("13:20"))
    event = last_event(run_cli, incident, "severity_changed")
    assert event["at"] == t("13:20")
    assert "all regions" in event["text"]


def test_role_at_a_time_and_an_empty_name_unassigns(run_cli, incident):
    ok(run_cli, "role", incident, "tech-lead", "Priya Raman", "--at", t("13:12"))
    assert shown(run_cli, incident)["roles"]["tech_lead"] == "Priya Raman"
    assert last_event(run_cli, incident, "role_assigned")["at"] == t("13:12")
    ok(run_cli, "role", incident, "tech-lead", "", "--at", t("13:30"))
    assert shown(run_cli, incident)["roles"]["tech_lead"] == ""
    event = last_event(run_cli, incident, "role_assigned")
    assert (event["at"], event["data"]["old"], event["data"]["new"]) == (
        t("13:30"),
        "Priya Raman",
        "",
    )


def test_update_with_text_audiences_and_a_time(run_cli, incident):
    ok(
        run_cli, "update", incident, "--text", "Rolling back", "--audience", "executives",
        "--audience", "support", "--at", t("13:25"),
    )  # fmt: skip
    assert shown(run_cli, incident)["last_update_at"] == t("13:25")
    event = last_event(run_cli, incident, "update_sent")
    assert event["at"] == t("13:25")
    assert event["data"]["summary"] == "Rolling back"
    assert event["data"]["audiences"] == ["executives", "support"]


def test_update_posted_elsewhere(run_cli, incident):
    ok(run_cli, "update", incident, "--elsewhere", "status page", "--at", t("13:40"))
    assert shown(run_cli, incident)["last_update_at"] == t("13:40")
    assert last_event(run_cli, incident, "update_sent")["data"]["elsewhere"] == "status page"


def test_update_from_a_file(run_cli, incident, tmp_path):
    message = tmp_path / "message.txt"
    message.write_text("Checkout is degraded in the EU.\n\nNext update at 14:30 UTC.\n", "utf-8")
    ok(run_cli, "update", incident, "--file", message, "--at", t("13:25"))
    data = last_event(run_cli, incident, "update_sent")["data"]
    assert data["message"] == "Checkout is degraded in the EU.\n\nNext update at 14:30 UTC."
    assert data["summary"] == "Checkout is degraded in the EU."


def test_update_from_standard_input(run_cli, incident, monkeypatch):
    text = "Paiements rétablis — merci de votre patience."
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    ok(run_cli, "update", incident, "--file", "-", "--at", t("13:50"))
    event = last_event(run_cli, incident, "update_sent")
    assert (event["at"], event["data"]["message"]) == (t("13:50"), text)
    assert shown(run_cli, incident)["last_update_at"] == t("13:50")


def test_time_corrects_a_key_time_and_none_clears_it(run_cli, incident):
    ok(run_cli, "time", incident, "detected", t("13:04"))
    assert shown(run_cli, incident)["detected_at"] == t("13:04")
    ok(run_cli, "time", incident, "impact-started", "2026-11-22T12:55:00Z")
    assert shown(run_cli, incident)["impact_started_at"] == t("12:55")
    ok(run_cli, "time", incident, "detected", "none")
    assert shown(run_cli, incident)["detected_at"] is None
    assert last_event(run_cli, incident, "time_edited")["data"]["key"] == "detected_at"


def test_status_with_a_reason_at_a_time(run_cli, incident):
    ok(run_cli, "status", incident, "mitigated", "--reason", "error rate back", "--at", t("13:40"))
    record = shown(run_cli, incident)
    assert (record["status"], record["mitigated_at"]) == ("mitigated", t("13:40"))
    assert last_event(run_cli, incident, "status_changed")["at"] == t("13:40")


def test_resolve_at_a_time(run_cli, incident):
    ok(run_cli, "status", incident, "mitigated", "--reason", "error rate back", "--at", t("13:40"))
    ok(run_cli, "resolve", incident, "--at", t("13:55"))
    record = shown(run_cli, incident)
    assert (record["status"], record["resolved_at"]) == ("resolved", t("13:55"))


def test_close_and_reopen_at_a_time(run_cli):
    incident = declare(run_cli, "P3")  # the policy requires no post-mortem at P3
    ok(run_cli, "resolve", incident, "--reason", "recovered on its own", "--at", t("13:30"))
    ok(run_cli, "close", incident, "--reason", "no post-mortem for a blip", "--at", t("13:45"))
    assert shown(run_cli, incident)["status"] == "closed"
    assert last_event(run_cli, incident, "status_changed")["at"] == t("13:45")
    ok(
        run_cli,
        "reopen",
        incident,
        "--to",
        "active",
        "--reason",
        "errors again",
        "--at",
        t("14:00"),
    )
    record = shown(run_cli, incident)
    assert (record["status"], record["resolved_at"]) == ("active", t("13:30"))  # kept
    event = last_event(run_cli, incident, "status_changed")
    assert event["at"] == t("14:00")
    assert "reopened" in event["text"] and "errors again" in event["text"]


def test_security_and_service(run_cli, incident):
    ok(run_cli, "security", incident, "on", "--reason", "credential stuffing suspected")
    event = last_event(run_cli, incident, "field_edited")
    assert (event["data"]["field"], event["data"]["new"]) == ("is_security", True)
    assert "credential stuffing" in event["text"]
    ok(run_cli, "security", incident, "off")
    assert last_event(run_cli, incident, "field_edited")["data"]["new"] is False
    ok(run_cli, "service", incident, "payments-api")
    event = last_event(run_cli, incident, "field_edited")
    assert (event["data"]["field"], event["data"]["new"]) == ("service", "payments-api")


def test_json_prints_what_show_json_prints(run_cli, incident):
    code, out, err = run_cli("ack", incident, "--at", t("13:15"), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == shown(run_cli, incident)
    code, out, err = run_cli("service", incident, "search", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["timeline"][-1]["data"]["new"] == "search"


def test_a_time_far_before_the_incident_needs_force(run_cli, incident, stored_counts):
    """Impact that started three weeks before anyone noticed: possible, but most often a typo."""
    far = "2026-11-01T10:00:00Z"
    for args in (("time", incident, "impact-started", far), ("role", incident, "scribe", "Jo")):
        before = stored_counts()
        code, out, err = run_cli(*args, *(("--at", far) if args[0] == "role" else ()))
        assert (code, out) == (1, "")
        assert "add --force" in err
        assert stored_counts() == before
    ok(run_cli, "time", incident, "impact-started", far, "--force")
    assert shown(run_cli, incident)["impact_started_at"] == "2026-11-01T10:00:00+00:00"
    ok(run_cli, "role", incident, "scribe", "Jo", "--at", "2026-10-20T10:00:00Z", "--force")
    assert last_event(run_cli, incident, "role_assigned")["at"] == "2026-10-20T10:00:00+00:00"


# -- refusals: nothing changes -------------------------------------------------------------


def test_a_stage_rule_a_reason_would_satisfy_exits_3_with_the_hint(
    run_cli, incident, stored_counts
):
    before = stored_counts()
    code, out, err = run_cli("resolve", incident, "--at", t("13:55"))
    assert (code, out) == (3, "")
    assert err.startswith("warroom: Resolved needs the incident mitigated first")
    assert err.rstrip().endswith("(add --reason TEXT)")
    assert stored_counts() == before
    assert shown(run_cli, incident)["status"] == "triage"


def test_moving_back_without_a_reason_exits_3_with_the_hint(run_cli, incident, stored_counts):
    ok(run_cli, "status", incident, "active")
    before = stored_counts()
    code, _, err = run_cli("reopen", incident, "--to", "triage")
    assert code == 3 and "needs a reason" in err and "(add --reason TEXT)" in err
    assert stored_counts() == before


def test_a_stage_rule_no_reason_satisfies_exits_3_without_the_hint(
    run_cli, incident, stored_counts
):
    ok(run_cli, "resolve", incident, "--reason", "recovered on its own", "--at", t("13:50"))
    before = stored_counts()
    code, out, err = run_cli("close", incident, "--reason", "we know what happened")
    assert (code, out) == (3, "")
    assert "post-mortem published first" in err
    assert "--reason" not in err  # a reason would not do: the policy requires one at P1
    assert stored_counts() == before
    assert shown(run_cli, incident)["status"] == "resolved"


@pytest.mark.parametrize(
    "args, says",
    [
        (("severity", "{id}", "P9"), "Unknown severity 'P9'"),
        (("ack", "{id}", "--at", "2026-11-22T13:15:00"), "has no UTC offset"),
        (("status", "{id}", "mitigated", "--reason", "x", "--at", "13:40"), "not an ISO 8601"),
        (("update", "{id}", "--text", "x", "--at", "2026-11-22 13:25"), "has no UTC offset"),
        (("time", "{id}", "mitigated", "2026-11-22T13:40"), "has no UTC offset"),
        (("time", "{id}", "declared", "none"), "cannot be cleared"),
        (("status", "{id}", "done"), "Unknown status 'done'"),
        (("reopen", "{id}", "--to", "resolved", "--reason", "x"), "earlier stage"),
        (("update", "{id}", "--file", "/nonexistent/message.txt"), "Cannot read"),
        (("ack", "{id}", "--at", "2026-11-22T15:00:00Z"), "future"),
    ],
)
def test_bad_input_exits_1_with_the_message_and_changes_nothing(
    run_cli, incident, stored_counts, args, says
):
    before = stored_counts()
    code, out, err = run_cli(*(a.format(id=incident) for a in args))
    assert (code, out) == (1, "")
    assert err.startswith("warroom: ") and says in err, err
    assert stored_counts() == before


def test_a_message_file_that_is_not_utf8_is_refused(run_cli, incident, tmp_path, stored_counts):
    message = tmp_path / "latin1.txt"
    message.write_bytes("Paiements rétablis".encode("latin-1"))
    before = stored_counts()
    code, _, err = run_cli("update", incident, "--file", message)
    assert code == 1 and "not UTF-8" in err
    assert stored_counts() == before


# -- an incident entered afterwards, from a chat log, typed out of order ---------------------


def test_an_incident_replayed_afterwards_gives_its_own_times_and_measures(run_cli):
    code, out, err = run_cli(
        "declare", "--title", "EU checkout 500s", "--severity", "P1",
        "--started", t("13:00"), "--detected", t("13:04"), "--declared", t("13:10"),
    )  # fmt: skip
    assert (code, err) == (0, "")
    incident = int(out)
    # Typed in the order the facts turned up in the chat log, not the order they happened.
    ok(
        run_cli,
        "update",
        incident,
        "--text",
        "Investigating EU checkout errors",
        "--at",
        t("13:25"),
    )
    ok(run_cli, "severity", incident, "P0", "--reason", "all EU card payments", "--at", t("13:20"))
    ok(
        run_cli,
        "resolve",
        incident,
        "--reason",
        "rolled back; verified by hand",
        "--at",
        t("14:00"),
    )
    ok(run_cli, "ack", incident, "--at", t("13:15"))
    ok(run_cli, "time", incident, "mitigated", t("13:40"))

    record = shown(run_cli, incident)
    assert record["status"] == "resolved"
    assert record["acknowledged_at"] == t("13:15")
    assert record["mitigated_at"] == t("13:40")
    assert record["resolved_at"] == t("14:00")
    assert (record["severity"], record["severity_changed_at"]) == ("P0", t("13:20"))
    assert record["last_update_at"] == t("13:25")
    at = [e["at"] for e in record["timeline"] if e["kind"] != "time_edited"]
    assert at == sorted(at)  # the timeline reads in the order things happened

    code, out, err = run_cli("metrics", "--json")
    assert (code, err) == (0, "")
    measured = json.loads(out)["all"]
    assert measured["count"] == 1
    minutes = {
        "detect": 4,  # detected 13:04 - impact started 13:00
        "acknowledge": 11,  # acknowledged 13:15 - detected 13:04
        "first_update": 25,  # first update 13:25 - impact started 13:00
        "mitigate": 40,  # mitigated 13:40 - impact started 13:00
        "resolve": 60,  # resolved 14:00 - impact started 13:00
    }
    for measure, expected in minutes.items():
        assert measured[measure] == {
            "n": 1,
            "mean_s": expected * 60,
            "median_s": expected * 60,
        }, measure
