"""`warroom import-chat ID FILE`: a chat log entered days later, as backdated notes by the
person importing. The CLI's clock reads 2026-11-23 08:00 UTC here, the morning after; the
incident's impact started 2026-11-22 12:55 UTC and it was declared at 13:10. The fixtures
are tests/data/chat: a Slack export and a plain text log of a bridge call."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

CHAT = Path(__file__).parent.parent / "data" / "chat"
CHANNEL_DAY = CHAT / "slack-export" / "incident-4821" / "2026-11-22.json"
BRIDGE_CALL = CHAT / "bridge-call.txt"
SKIPPED = "skipped (joins, leaves, empty)"

SLACK_ROWS = [
    ("13:01:14", "Ana Lima (chat): checkout p99 is > 4s since ~13:00, paging @Ben Okafor"),
    ("13:01:30", "PagerDuty (chat, bot): Triggered #4821: checkout-api latency > 2s"),
    (
        "13:03:40",
        "Ben Okafor (chat): looking. deploy 4.2 went out at 12:55 & errors are up, see "
        "checkout dashboard (https://grafana.example.com/d/checkout)",
    ),
    ("13:04:10", "Ana Lima (chat, in thread): @Ben Okafor want me to roll back?"),
    ("13:04:55", "Ben Okafor (chat, in thread, edited): yes, roll back api to 4.1 <- not 4.0"),
    ("13:12:30", "Ana Lima (chat): rolled back api 4.2 [file: rollback.png]"),
    (
        "13:20:00",
        "Chloé Dubois (chat): p99 back under 400ms. @here monitoring for 30 min; status page: "
        "https://status.example.com",
    ),
    ("13:30:00", "Ben Okafor (chat): @Dave Singh can you own the post-mortem? notes in #incidents"),
]


@pytest.fixture
def start():
    return datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def incident(run_cli, monkeypatch):
    monkeypatch.setenv("WARROOM_ACTOR", "Priya Raman")
    code, out, err = run_cli(
        "declare", "--title", "Checkout down", "--severity", "P1",
        "--started", "2026-11-22T12:55:00+00:00", "--declared", "2026-11-22T13:10:00+00:00",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    return int(out)


def imported_notes(run_cli, incident_id):
    """(time, actor, text) of each imported note, as `show --json` lists them."""
    code, out, err = run_cli("show", incident_id, "--json")
    assert (code, err) == (0, ""), err
    timeline = json.loads(out)["timeline"]
    return [
        (e["at"], e["actor"], e["text"])
        for e in timeline
        if e["kind"] == "note" and e["data"].get("imported")
    ]


def at(hms: str, day: str = "2026-11-22") -> str:
    return f"{day}T{hms}+00:00"


# -- a Slack export -----------------------------------------------------------------------
def test_a_dry_run_shows_each_message_and_adds_nothing(run_cli, incident, stored_counts):
    before = stored_counts()
    code, out, err = run_cli("import-chat", incident, CHANNEL_DAY, "--dry-run")
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"2026-11-22 {hms} UTC  {text}" for hms, text in SLACK_ROWS] + [
        f"would add 8 notes; 0 already on the timeline; 4 {SKIPPED}"
    ]
    assert stored_counts() == before


def test_a_slack_export_becomes_backdated_notes_by_whoever_imports_it(run_cli, incident):
    code, out, err = run_cli("import-chat", incident, CHANNEL_DAY)
    assert (code, out, err) == (0, f"added 8 notes; 0 already on the timeline; 4 {SKIPPED}\n", "")
    fractions = ["000200", "000300", "000400", "000500", "000600", "000800", "001000", "001100"]
    assert imported_notes(run_cli, incident) == [
        (at(f"{hms}.{fraction}"), "Priya Raman", text)
        for (hms, text), fraction in zip(SLACK_ROWS, fractions, strict=True)
    ]


def test_the_notes_say_where_they_came_from(run_cli, incident):
    run_cli("import-chat", incident, CHANNEL_DAY)
    code, out, _ = run_cli("show", incident, "--json")
    data = [e["data"] for e in json.loads(out)["timeline"] if e["data"].get("imported")]
    assert data[1] == {
        "author": "PagerDuty", "source": "slack", "imported": True, "backdated": True,
        "chat_key": "slack:2026-11-22.json:1795352490.000300", "bot": True,
    }  # fmt: skip
    assert data[4] == {
        "author": "Ben Okafor", "source": "slack", "imported": True, "backdated": True,
        "chat_key": "slack:2026-11-22.json:1795352695.000600",
        "thread": "1795352620.000400", "edited": True,
    }  # fmt: skip


def test_a_second_import_adds_nothing(run_cli, incident, stored_counts):
    run_cli("import-chat", incident, CHANNEL_DAY)
    before = stored_counts()
    code, out, err = run_cli("import-chat", incident, CHANNEL_DAY)
    assert (code, out, err) == (0, f"added 0 notes; 8 already on the timeline; 4 {SKIPPED}\n", "")
    assert stored_counts() == before
    code, out, err = run_cli("import-chat", incident, CHANNEL_DAY, "--dry-run")
    assert out == f"would add 0 notes; 8 already on the timeline; 4 {SKIPPED}\n"


def test_json_says_what_was_and_would_be_added(run_cli, incident):
    code, out, err = run_cli("import-chat", incident, CHANNEL_DAY, "--dry-run", "--json")
    would = json.loads(out)
    assert (code, err, would["already"], would["skipped"]) == (0, "", 0, 4)
    assert would["would_add"][3] == {
        "at": at("13:04:10.000500"),
        "author": "Ana Lima",
        "text": "Ana Lima (chat, in thread): @Ben Okafor want me to roll back?",
        "source": "slack",
        "chat_key": "slack:2026-11-22.json:1795352650.000500",
        "bot": False,
        "thread": "1795352620.000400",
        "edited": False,
    }
    code, out, err = run_cli("import-chat", incident, CHANNEL_DAY, "--json")
    added = json.loads(out)
    assert [{k: v for k, v in a.items() if k != "id"} for a in added["added"]] == would["would_add"]
    assert all(isinstance(a["id"], int) for a in added["added"])


def test_without_users_json_names_come_from_the_messages(run_cli, incident, tmp_path):
    alone = tmp_path / "2026-11-22.json"
    shutil.copy(CHANNEL_DAY, alone)
    code, out, err = run_cli("import-chat", incident, alone, "--dry-run")
    assert code == 0
    assert "Ben Okafor (chat): @U04DAV can you own the post-mortem?" in out  # Dave never spoke


def test_zone_and_date_are_not_for_a_slack_export(run_cli, incident):
    code, out, err = run_cli("import-chat", incident, CHANNEL_DAY, "--zone", "Asia/Tokyo")
    assert code == 0
    assert err == (
        "warroom: warning: --date and --zone are for plain text logs; a Slack export's times "
        "are exact and are used as they are.\n"
    )
    assert imported_notes(run_cli, incident)[0][0] == at("13:01:14.000200")


# -- a plain text log ---------------------------------------------------------------------
def test_a_text_log_in_berlin_crosses_midnight_at_its_date_line(run_cli, incident):
    code, out, err = run_cli("import-chat", incident, BRIDGE_CALL, "--zone", "Europe/Berlin")
    assert (code, out, err) == (0, f"added 6 notes; 0 already on the timeline; 1 {SKIPPED}\n", "")
    assert imported_notes(run_cli, incident) == [
        (
            at("22:52:00"),
            "Priya Raman",
            "Ana Lima (chat): EU checkout failing again, 502s from the edge",
        ),
        (
            at("22:54:30"),
            "Priya Raman",
            "Ben Okafor (chat): looking at the load balancer\nhealth checks flap on lb-eu-2\n\n"
            "draining it now",
        ),
        (at("22:58:00"), "Priya Raman", "Ana Lima (chat): errors down"),
        (at("22:58:00"), "Priya Raman", "Ana Lima (chat): errors down"),
        (
            at("23:03:00"),
            "Priya Raman",
            "Ben Okafor (chat): lb-eu-2 drained: config push 7781 left it with a stale cert",
        ),
        (
            at("23:10:00"),
            "Priya Raman",
            "Ana Lima (chat): see https://status.example.com/incidents/4821 for the write-up",
        ),
    ]
    code, out, err = run_cli("import-chat", incident, BRIDGE_CALL, "--zone", "+01:00")
    assert out == f"added 0 notes; 6 already on the timeline; 1 {SKIPPED}\n"


def test_a_text_log_dry_run_puts_each_message_on_one_line(run_cli, incident):
    code, out, err = run_cli(
        "import-chat", incident, BRIDGE_CALL, "--zone", "Europe/Berlin", "--dry-run"
    )
    assert out.splitlines()[1] == (
        "2026-11-22 22:54:30 UTC  Ben Okafor (chat): looking at the load balancer\\nhealth "
        "checks flap on lb-eu-2\\n\\ndraining it now"
    )


@pytest.mark.parametrize(
    ("options", "missing"),
    [((), "--date YYYY-MM-DD and --zone ZONE"), (("--date", "2026-11-22"), "--zone ZONE")],
)
def test_a_text_log_without_its_zone_is_refused(run_cli, incident, stored_counts, options, missing):
    before = stored_counts()
    code, out, err = run_cli("import-chat", incident, BRIDGE_CALL, *options)
    assert (code, out) == (1, "")
    assert err == (
        f"warroom: {BRIDGE_CALL} is a plain text log whose times carry no zone: add {missing} "
        "(the zone they were written in, like Europe/Berlin, UTC or +01:00).\n"
    )
    assert stored_counts() == before


def test_a_text_log_without_its_day_is_refused(run_cli, incident, tmp_path, stored_counts):
    log = tmp_path / "call.txt"
    log.write_text("13:05 Ana: paged\n", "utf-8")
    before = stored_counts()
    code, out, err = run_cli("import-chat", incident, log, "--zone", "UTC")
    assert (code, out) == (1, "")
    assert err == (
        f"warroom: {log} is a plain text log that does not say which day its times are on "
        "(line 1 has a time but no day is given): add --date YYYY-MM-DD, or put the day on a "
        "line of its own before the first message.\n"
    )
    assert stored_counts() == before
    code, out, err = run_cli("import-chat", incident, log, "--zone", "UTC", "--date", "2026-11-22")
    assert imported_notes(run_cli, incident) == [
        (at("13:05:00"), "Priya Raman", "Ana (chat): paged")
    ]


def test_a_time_going_backwards_is_refused_naming_the_line(
    run_cli, incident, tmp_path, stored_counts
):
    log = tmp_path / "call.txt"
    log.write_text("23:50 Ana: still down\n00:10 Ben: up again\n", "utf-8")
    before = stored_counts()
    code, out, err = run_cli(
        "import-chat", incident, log, "--date", "2026-11-22", "--zone", "UTC", "--json"
    )
    message = (
        f"Cannot import {log}: line 2 (00:10:00) is earlier than line 1 (23:50:00): if the log "
        "crossed midnight, put the new day on a line of its own before it, like "
        "“--- 2026-11-23 ---”."
    )
    assert (code, err) == (1, f"warroom: {message}\n")
    assert json.loads(out) == {"error": {"code": 1, "kind": "invalid", "message": message}}
    assert stored_counts() == before


# -- refusals -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b'[{"ts": "1795352474.0", "text": "hi"',
            "it is not valid JSON (line 1, column 37: Expecting ',' delimiter).",
        ),
        (b"13:05 Ana: caf\xe9\n", "is not UTF-8 text; nothing was recorded."),
        (
            b"%PDF-1.7\n",
            "line 1 (“%PDF-1.7”) is not a message like “13:05 Ana: rolled back api 4.2”.",
        ),
        (b"", "it is not a chat log: no line reads"),
        (b'{"ok": true}', "it is not a Slack channel export (a list of messages)."),
    ],
)
def test_bad_input_is_refused_in_one_sentence_and_records_nothing(
    run_cli, incident, tmp_path, stored_counts, content, said
):
    bad = tmp_path / "export.json"
    bad.write_bytes(content)
    before = stored_counts()
    code, out, err = run_cli("import-chat", incident, bad, "--date", "2026-11-22", "--zone", "UTC")
    assert (code, out) == (1, "")
    assert said in err and err.startswith("warroom: ") and err.count("\n") == 1, err
    assert stored_counts() == before


def test_a_file_that_cannot_be_read_is_refused(run_cli, incident, tmp_path):
    code, out, err = run_cli("import-chat", incident, tmp_path / "missing.json")
    assert (code, out) == (1, "")
    missing = tmp_path / "missing.json"
    assert err == f"warroom: Cannot read the file {missing}: No such file or directory.\n"


def test_an_unknown_incident_is_not_found(run_cli, incident, stored_counts):
    before = stored_counts()
    code, out, err = run_cli("import-chat", 99, CHANNEL_DAY, "--json")
    assert code == 4
    assert json.loads(out)["error"]["kind"] == "not-found"
    assert stored_counts() == before


def test_a_message_days_before_the_incident_needs_force(run_cli, incident, tmp_path, stored_counts):
    log = tmp_path / "call.txt"
    log.write_text(
        "--- 2026-11-20 ---\n13:01 Ana: deploy staged\n--- 2026-11-22 ---\n13:05 Ana: paged\n"
    )
    before = stored_counts()
    for dry in ((), ("--dry-run",)):
        code, out, err = run_cli("import-chat", incident, log, "--zone", "UTC", *dry)
        assert (code, out) == (1, "")
        assert err == (
            "warroom: The message from Ana (2026-11-20 13:01 UTC) is more than a day before this "
            "incident: this incident's impact started 2026-11-22 12:55 UTC and it was declared "
            "2026-11-22 13:10 UTC. Is the date right? Nothing was imported; add --force to "
            "import it anyway.\n"
        )
    assert stored_counts() == before
    code, out, err = run_cli("import-chat", incident, log, "--zone", "UTC", "--force")
    assert code == 0
    assert [row[0] for row in imported_notes(run_cli, incident)] == [
        at("13:01:00", "2026-11-20"),
        at("13:05:00"),
    ]


def test_a_message_in_the_future_is_refused(run_cli, incident, tmp_path, stored_counts):
    log = tmp_path / "call.txt"
    log.write_text("07:55 Ana: paged\n09:30 Ana: all clear\n", "utf-8")
    before = stored_counts()
    code, out, err = run_cli(
        "import-chat", incident, log, "--date", "2026-11-23", "--zone", "UTC", "--force"
    )
    assert (code, out) == (1, "")
    assert err == (
        "warroom: The message from Ana (2026-11-23 09:30 UTC) is in the future: it is "
        "2026-11-23 08:00 UTC now, and this incident's impact started 2026-11-22 12:55 UTC and "
        "it was declared 2026-11-22 13:10 UTC.\n"
    )
    assert stored_counts() == before
