"""A multi-day outage typed in from a chat log days later, through the CLI: the times come
in several zones (the on-call engineer in San Francisco, the IC in London, a comms lead in
Paris and Bangalore), the impact started before midnight Pacific, and the facts are typed in
a different order than they happened. The record must equal what a careful human computes
by hand, to the minute.

By hand (all UTC):
  impact started 2026-11-13 22:50 PST = 11-14 06:50; detected 23:02 PST = 07:02
  declared 08:15 (P1); acknowledged 09:21 CET = 08:21; active 08:22
  update 14:00 IST = 08:30; severity raised to P0 08:40; update 09:10
  mitigated 02:05 PST = 10:05; resolved 2026-11-15 01:30 PST = 11-15 09:30
  time to detect        07:02 - 06:50            = 12 min
  time to acknowledge   08:21 - 07:02            = 1 h 19 min
  time to first update  08:30 - 06:50            = 1 h 40 min
  customer impact       10:05 - 06:50            = 3 h 15 min
  time to resolve       11-15 09:30 - 11-14 06:50 = 1 d 2 h 40 min
  response: P1 responds within 30 min of 08:15 -> due 08:45; acknowledged 08:21: met, 6 min
  update cadence: P1 every 30 min from 08:15 -> 08:45; the 08:30 update -> 09:00; P0 from
  08:40 every 15 min -> 08:55 (missed: next update 09:10); 09:10 -> 09:25 (missed: no update
  before it was mitigated at 10:05, and the clock runs while open) -> two P0 misses."""

from __future__ import annotations

import json

INCIDENT = "1"


def typed_in_from_the_chat_log(run_cli) -> None:
    def ok(*args):
        code, out, err = run_cli(*args)
        assert code == 0, err

    ok(
        "--actor", "Priya Raman", "declare", "--title", "Payments API returns 502",
        "--severity", "P1", "--impact", "Card payments fail in EU and US",
        "--started", "2026-11-13T22:50:00-08:00", "--detected", "2026-11-13T23:02:00-08:00",
        "--declared", "2026-11-14T08:15:00+00:00", "--service", "payments",
    )  # fmt: skip
    # Not in the order it happened: the scribe finds things as they scroll.
    ok("severity", INCIDENT, "P0", "--reason", "all regions", "--at", "2026-11-14T08:40:00Z")
    ok("update", INCIDENT, "--text", "Failover under way", "--at", "2026-11-14T09:10:00Z")
    ok("--actor", "Priya Raman", "ack", INCIDENT, "--at", "2026-11-14T09:21:00+01:00")
    ok(
        "update", INCIDENT, "--text", "Investigating 502s on payments",
        "--audience", "status page", "--at", "2026-11-14T14:00:00+05:30",
    )  # fmt: skip
    ok("status", INCIDENT, "active", "--at", "2026-11-14T08:22:00Z")
    ok(
        "status", INCIDENT, "mitigated", "--reason", "error rate at baseline (chat log)",
        "--at", "2026-11-14T02:05:00-08:00",
    )  # fmt: skip
    ok("resolve", INCIDENT, "--at", "2026-11-15T01:30:00-08:00")


def test_the_record_equals_the_hand_computed_one(run_cli):
    typed_in_from_the_chat_log(run_cli)
    code, out, err = run_cli("show", INCIDENT, "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert {k: shown[k] for k in (
        "severity", "status", "impact_started_at", "detected_at", "declared_at",
        "acknowledged_at", "mitigated_at", "resolved_at", "severity_changed_at",
        "last_update_at",
    )} == {
        "severity": "P0",
        "status": "resolved",
        "impact_started_at": "2026-11-14T06:50:00+00:00",
        "detected_at": "2026-11-14T07:02:00+00:00",
        "declared_at": "2026-11-14T08:15:00+00:00",
        "acknowledged_at": "2026-11-14T08:21:00+00:00",
        "mitigated_at": "2026-11-14T10:05:00+00:00",
        "resolved_at": "2026-11-15T09:30:00+00:00",
        "severity_changed_at": "2026-11-14T08:40:00+00:00",
        "last_update_at": "2026-11-14T09:10:00+00:00",
    }  # fmt: skip
    assert shown["response"]["state"] == "met"
    assert shown["response"]["deadline"] == "2026-11-14T08:45:00+00:00"
    assert shown["response"]["acknowledged_after_seconds"] == 6 * 60
    assert shown["elapsed_seconds"] == (25 * 60 + 15) * 60  # declared 08:15 to 09:30 next day
    assert [(e["at"][:16], e["text"]) for e in shown["timeline"]] == [
        ("2026-11-14T08:15", "Declared P1: Payments API returns 502"),
        ("2026-11-14T08:21", "Acknowledged by Priya Raman; Priya Raman is now incident commander"),
        ("2026-11-14T08:22", "Status changed: triage → active"),
        (
            "2026-11-14T08:30",
            "Stakeholder update sent to status page: Investigating 502s on payments",
        ),
        ("2026-11-14T08:40", "Severity raised P1 → P0: all regions"),
        ("2026-11-14T08:55", "Update cadence missed: P0 update due 08:55 UTC"),
        ("2026-11-14T09:10", "Stakeholder update sent: Failover under way"),
        ("2026-11-14T09:25", "Update cadence missed: P0 update due 09:25 UTC"),
        (
            "2026-11-14T10:05",
            "Status changed: active → mitigated: error rate at baseline (chat log)",
        ),
        ("2026-11-15T09:30", "Status changed: mitigated → resolved"),
    ]  # fmt: skip


def test_the_metrics_equal_the_hand_computed_ones(run_cli):
    typed_in_from_the_chat_log(run_cli)
    code, out, err = run_cli("metrics", "--json")
    assert code == 0, err
    p0 = json.loads(out)["by_severity"]["P0"]
    assert p0["count"] == 1
    means = {
        m: p0[m]["mean_s"] for m in ("detect", "acknowledge", "first_update", "mitigate", "resolve")
    }
    assert means == {
        "detect": 12 * 60,
        "acknowledge": (60 + 19) * 60,
        "first_update": (60 + 40) * 60,
        "mitigate": (3 * 60 + 15) * 60,
        "resolve": (24 * 60 + 2 * 60 + 40) * 60,
    }  # fmt: skip
    code, out, err = run_cli("metrics")
    assert code == 0, err
    assert "2026-11  1      1d 02h 40m" in out  # the month table, to the minute


def test_the_exported_postmortem_equals_the_hand_computed_one(run_cli):
    typed_in_from_the_chat_log(run_cli)
    code, out, err = run_cli("export", INCIDENT)
    assert code == 0, err
    for line in (
        "| Customer impact | 3 h 15 min (impact started to mitigated) |",
        "| Time to resolve | 1 d 2 h 40 min (impact started to resolved) |",
        "| Time to detect | detected − impact started | 12 min |",
        "| Time to acknowledge | acknowledged − detected (declared when there was no alert) "
        "| 1 h 19 min |",
        "| Customer impact (time to mitigate) | mitigated − impact started | 3 h 15 min |",
        "| Time to resolve | resolved − impact started | 1 d 2 h 40 min |",
        "| Time to first stakeholder update | first update sent − impact started | 1 h 40 min |",
    ):
        assert line in out, line
    timeline = [
        line.split(" | ")[0].lstrip("| ")
        for line in out.split("## Timeline")[1].split("##")[0].splitlines()
        if line.startswith("| 2026-")
    ]
    assert timeline == sorted(timeline)  # by when it happened, not when it was typed
    assert timeline[0] == "2026-11-14 08:15" and timeline[-1] == "2026-11-15 09:30"
    assert "Update cadence missed: P0 update due 08:55 UTC" in out
