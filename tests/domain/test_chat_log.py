"""Chat logs read as the people in them wrote them: a Slack channel export (tests/data/chat/
slack-export) and a plain text log whose day and zone are stated."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from warroom.domain.chat_log import ChatMessage, parse_slack, parse_text_log, slack_users
from warroom.domain.validation import ValidationError

CHAT = Path(__file__).parent.parent / "data" / "chat"
EXPORT = CHAT / "slack-export"
CHANNEL_DAY = EXPORT / "incident-4821" / "2026-11-22.json"
BERLIN = ZoneInfo("Europe/Berlin")


def utc(hms: str, day: str = "2026-11-22") -> datetime:
    return datetime.fromisoformat(f"{day}T{hms}+00:00")


def slack_export():
    users = slack_users(json.loads((EXPORT / "users.json").read_text("utf-8")))
    return parse_slack(json.loads(CHANNEL_DAY.read_text("utf-8")), users, "2026-11-22.json")


def rows(log) -> list[tuple[datetime, str]]:
    """(time to the second, note): Slack's microseconds are checked on their own."""
    return [(m.at.replace(microsecond=0), m.note) for m in log.messages]


# -- Slack ------------------------------------------------------------------------------------
def test_a_slack_export_reads_as_the_channel_did():
    log = slack_export()
    assert rows(log) == [
        (utc("13:01:14"), "Ana Lima (chat): checkout p99 is > 4s since ~13:00, paging @Ben Okafor"),
        (utc("13:01:30"), "PagerDuty (chat, bot): Triggered #4821: checkout-api latency > 2s"),
        (
            utc("13:03:40"),
            "Ben Okafor (chat): looking. deploy 4.2 went out at 12:55 & errors are up, see "
            "checkout dashboard (https://grafana.example.com/d/checkout)",
        ),
        (utc("13:04:10"), "Ana Lima (chat, in thread): @Ben Okafor want me to roll back?"),
        (
            utc("13:04:55"),
            "Ben Okafor (chat, in thread, edited): yes, roll back api to 4.1 <- not 4.0",
        ),
        (utc("13:12:30"), "Ana Lima (chat): rolled back api 4.2 [file: rollback.png]"),
        (
            utc("13:20:00"),
            "Chloé Dubois (chat): p99 back under 400ms. @here monitoring for 30 min; status "
            "page: https://status.example.com",
        ),
        (
            utc("13:30:00"),
            "Ben Okafor (chat): @Dave Singh can you own the post-mortem? notes in #incidents",
        ),
    ]
    assert log.skipped == 4  # two joins, a leave, an empty message


def test_slack_marks_bots_threads_and_edits_and_keys_by_file_and_ts():
    by_time = {m.at.replace(microsecond=0): m for m in slack_export().messages}
    bot, reply, edited = (
        by_time[utc("13:01:30")],
        by_time[utc("13:04:10")],
        by_time[utc("13:04:55")],
    )
    assert (bot.author, bot.bot, bot.thread) == ("PagerDuty", True, None)
    assert (reply.thread, reply.edited) == ("1795352620.000400", False)
    assert (edited.thread, edited.edited) == ("1795352620.000400", True)
    parent = by_time[utc("13:03:40")]
    assert parent.thread is None  # the thread's first message is not a reply
    assert parent.key == "slack:2026-11-22.json:1795352620.000400"
    assert parent.at == datetime(2026, 11, 22, 13, 3, 40, 400, tzinfo=UTC)  # ts, exactly
    assert {m.source for m in by_time.values()} == {"slack"}


def test_thread_replies_come_in_time_order_whatever_order_the_file_has():
    messages = [
        {"ts": "1795352650.000500", "user": "U1", "text": "reply", "thread_ts": "1795352620.0"},
        {"ts": "1795352620.000000", "user": "U1", "text": "parent", "thread_ts": "1795352620.0"},
        {"ts": "1795352640.000000", "user": "U1", "text": "in between"},
    ]
    log = parse_slack(messages, {"U1": "Ana"})
    assert [m.text for m in log.messages] == ["parent", "in between", "reply"]
    assert log.messages[0].at == datetime(2026, 11, 22, 13, 3, 40, tzinfo=UTC)


def test_names_come_from_the_messages_when_there_is_no_users_file():
    messages = json.loads(CHANNEL_DAY.read_text("utf-8"))
    notes = [m.note for m in parse_slack(messages).messages]
    assert notes[0].endswith("paging @Ben Okafor")  # Ben's profile is on his own messages
    assert notes[-1].startswith("Ben Okafor (chat): @U04DAV can")  # Dave never spoke


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("<mailto:ops@example.com|ops@example.com>", "ops@example.com"),
        ("<!subteam^S0ONCALL|@oncall> please", "@oncall please"),
        ("<!channel>", "@channel"),
        ("a &amp;lt; b", "a &lt; b"),
        ("<@U1|ana> hi", "@Ana hi"),
    ],
)
def test_slack_markup_reads_as_it_shows(text, read):
    log = parse_slack([{"ts": "1795352620.000100", "user": "U1", "text": text}], {"U1": "Ana"})
    assert log.messages[0].text == read


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"ok": True}, "not a Slack channel export"),
        ([1, 2], "not a Slack channel export"),
        ([{"user": "U1", "text": "hi"}], "Message 1 has no valid Slack timestamp"),
        ([{"id": "U1", "name": "ana"}], "list of users"),
    ],
)
def test_what_is_not_a_channel_export_is_refused(data, said):
    with pytest.raises(ValidationError, match=said):
        parse_slack(data)


# -- plain text -------------------------------------------------------------------------------
def test_a_text_log_crosses_midnight_where_its_date_line_says():
    log = parse_text_log((CHAT / "bridge-call.txt").read_text("utf-8"), None, BERLIN)
    assert rows(log) == [
        (utc("22:52:00"), "Ana Lima (chat): EU checkout failing again, 502s from the edge"),
        (
            utc("22:54:30"),
            "Ben Okafor (chat): looking at the load balancer\nhealth checks flap on lb-eu-2"
            "\n\ndraining it now",
        ),
        (utc("22:58:00"), "Ana Lima (chat): errors down"),
        (utc("22:58:00"), "Ana Lima (chat): errors down"),
        (
            utc("23:03:00"),
            "Ben Okafor (chat): lb-eu-2 drained: config push 7781 left it with a stale cert",
        ),
        (
            utc("23:10:00"),
            "Ana Lima (chat): see https://status.example.com/incidents/4821 for the write-up",
        ),
    ]
    assert log.skipped == 1  # Chloé's empty line
    keys = [m.key for m in log.messages]
    assert len(set(keys)) == len(keys)  # the repeated line is a second message, keyed apart
    assert all(k.startswith("text:") and len(k) == 5 + 64 for k in keys)


def test_a_text_log_gives_the_same_keys_on_every_read():
    text = (CHAT / "bridge-call.txt").read_text("utf-8")
    first = [m.key for m in parse_text_log(text, None, BERLIN).messages]
    assert first == [
        m.key for m in parse_text_log(text, None, timezone(timedelta(hours=1))).messages
    ]


@pytest.mark.parametrize(
    ("zone", "first"),
    [(UTC, "09:05:00"), (timezone(timedelta(hours=-5)), "14:05:00"), (BERLIN, "08:05:00")],
)
def test_a_text_log_is_read_in_the_zone_given(zone, first):
    log = parse_text_log("09:05 Ana: paged\n", date(2026, 11, 22), zone)
    assert log.messages[0] == ChatMessage(utc(first), "Ana", "paged", log.messages[0].key, "text")


def test_a_time_going_backwards_without_a_date_line_is_refused_naming_the_line():
    text = "23:50 Ana: still down\n\n00:10 Ben: up again\n"
    with pytest.raises(ValidationError) as refused:
        parse_text_log(text, date(2026, 11, 22), UTC)
    assert refused.value.message == (
        "Line 3 (00:10:00) is earlier than line 1 (23:50:00): if the log crossed midnight, put "
        "the new day on a line of its own before it, like “--- 2026-11-23 ---”."
    )


def test_the_repeated_hour_when_clocks_go_back_reads_forwards():
    # 2026-10-25 in Berlin: 02:00-03:00 happens twice (first +02:00, then +01:00).
    text = "02:50 Ana: deploying\n02:10 Ben: deployed\n"
    log = parse_text_log(text, date(2026, 10, 25), BERLIN)
    assert [m.at for m in log.messages] == [
        utc("00:50:00", "2026-10-25"),
        utc("01:10:00", "2026-10-25"),
    ]


def test_a_time_the_clocks_skipped_is_refused():
    with pytest.raises(ValidationError, match="Line 1: 2026-03-29 02:30 does not exist"):
        parse_text_log("02:30 Ana: hello\n", date(2026, 3, 29), BERLIN)


DAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "day", "field", "said"),
    [
        ("13:05 Ana: hi\n", None, "date", "Line 1 has a time but no day is given."),
        ("hello\n13:05 Ana: hi\n", DAY, "file", "Line 1 (“hello”) is not a message like"),
        ("", DAY, "file", "It is not a chat log: no line reads"),
        ("--- 2026-11-22 ---\n", None, "file", "It is not a chat log: no line reads"),
        ("--- 2026-02-30 ---\n13:05 Ana: hi\n", None, "file", "Line 1: 2026-02-30 is not a"),
        ("25:05 Ana: hi\n", DAY, "file", "Line 1: 25:05 is not a time."),
        # A time with no name before a colon is not taken for part of the message above.
        ("13:05 Ana: see\n13:06 see https://x.example/y\n", DAY, "file", "Line 2 (“13:06 see"),
    ],
)
def test_what_is_not_a_usable_text_log_is_refused(text, day, field, said):
    with pytest.raises(ValidationError, match=re.escape(said)) as refused:
        parse_text_log(text, day, UTC)
    assert refused.value.field == field


def test_a_continuation_line_may_hold_a_link():
    log = parse_text_log("13:05 Ana: see\n  https://x.example/y: the graph\n", DAY, UTC)
    assert [m.text for m in log.messages] == ["see\nhttps://x.example/y: the graph"]
