"""Output that cannot lie: terminal escapes, a bare carriage return, a backspace and bidi
controls in user text (from an alert hook, a paste) reach every export as visible escapes,
never as the raw characters a terminal, a pager or an editor would act on."""

from __future__ import annotations

from datetime import date

import pytest

from tests.export.helpers import T0, event, parse, resolved_incident
from warroom.adapters.export.markdown import (
    MessageKind,
    escape_block,
    escape_cell,
    escape_inline,
    make_environment,
    render_postmortem,
    render_status,
    status_facts,
)
from warroom.domain.incident import EventKind
from warroom.domain.postmortem import ActionItem, AddedRow, Postmortem, PostmortemStatus
from warroom.domain.safe_text import CONTROL, json_safe, visible, visible_line

# The payloads of the hostile test: each names what it would do to a terminal.
PAYLOADS = {
    "clear screen": "\x1b[2J\x1b[H ALL CLEAR, nothing to see",
    "window title": "\x1b]0;pwned\x07 checkout",
    "bare CR": "checkout down\rALL CLEAR   ",
    "backspace": "P0\x08\x08P3 minor",
    "bidi override": "invoice \u202egpj.exe",
    "bidi isolate": "user \u2066admin\u2069 \u200fmark",
    "C1 CSI": "\x9b2J reset",
    "DEL": "rm\x7f\x7f",
}
SHOWN = {
    "clear screen": "\\x1b[2J\\x1b[H ALL CLEAR, nothing to see",
    "window title": "\\x1b]0;pwned\\x07 checkout",
    "bare CR": "checkout down\\rALL CLEAR",
    "backspace": "P0\\x08\\x08P3 minor",
    "bidi override": "invoice \\u202egpj.exe",
    "bidi isolate": "user \\u2066admin\\u2069 \\u200fmark",
    "C1 CSI": "\\x9b2J reset",
    "DEL": "rm\\x7f\\x7f",
}


def test_visible_escapes_each_control_and_keeps_newline_and_tab():
    for name, payload in PAYLOADS.items():
        assert CONTROL.search(visible(payload)) is None, name
    assert visible("a\tb\nc") == "a\tb\nc"
    assert visible_line("a\tb\nc\r") == "a\\tb\\nc\\r"
    assert visible("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert visible("é中🚨 \u200d") == "é中🚨 \u200d"  # text, not controls: unchanged


def test_json_safe_writes_what_json_leaves_raw_as_escapes_and_decodes_the_same():
    import json

    value = {"title": "".join(PAYLOADS.values())}
    encoded = json_safe(json.dumps(value, ensure_ascii=False))
    assert CONTROL.search(encoded) is None
    assert "\\u202e" in encoded and "\\u009b" in encoded and "\\u007f" in encoded
    assert json.loads(encoded) == value


@pytest.mark.parametrize("name", PAYLOADS)
def test_the_markdown_escapers_show_each_payload(name):
    payload = PAYLOADS[name]
    for escape in (escape_inline, escape_cell, escape_block):
        markdown = escape(payload)
        assert CONTROL.search(markdown) is None, (escape.__name__, markdown)
    doc = parse(f"Before {escape_inline(payload)} after\n")
    shown = doc.sections[""][0].text
    if name == "bare CR":  # a line break in Markdown: shown as one, never as a rewrite
        assert shown == "Before checkout down ALL CLEAR after"
    else:
        assert shown == f"Before {SHOWN[name]} after"


def test_the_postmortem_holds_no_control_character(policy):
    hostile = " / ".join(PAYLOADS.values())
    postmortem = Postmortem(
        incident_id=7,
        title=hostile,
        authors=PAYLOADS["bidi override"],
        status=PostmortemStatus.DRAFT,
        root_cause=hostile,
        added_rows=(AddedRow(T0, hostile),),
        action_items=(
            ActionItem(hostile, owner=PAYLOADS["backspace"], deadline=date(2026, 12, 1)),
        ),
    )
    incident = resolved_incident(title=PAYLOADS["clear screen"], impact=PAYLOADS["bare CR"])
    events = [event(1, EventKind.NOTE, 5, PAYLOADS["window title"])]
    markdown = render_postmortem(make_environment(), incident, postmortem, events, policy, T0)
    assert CONTROL.search(markdown) is None
    assert "\\\\x1b\\[2J" in markdown or "\\\\x1b[2J" in markdown
    assert "\\\\u202egpj.exe" in markdown


@pytest.mark.parametrize("plain", [False, True], ids=["markdown", "plain"])
@pytest.mark.parametrize("kind", list(MessageKind))
def test_status_messages_hold_no_control_character(policy, kind, plain):
    incident = resolved_incident(title=PAYLOADS["clear screen"], impact=PAYLOADS["window title"])
    facts = status_facts(incident, policy, T0, PAYLOADS["bidi override"], "", PAYLOADS["bare CR"])
    text = render_status(make_environment(), kind, facts, plain)
    assert CONTROL.search(text) is None, text
    if plain:  # no Markdown escaping there: the escapes show exactly
        assert "\\x1b[2J\\x1b[H ALL CLEAR" in text


def test_a_users_own_template_cannot_print_a_control_either(tmp_path, policy):
    (tmp_path / "status").mkdir()
    (tmp_path / "status" / "initial.txt.j2").write_text("{{ facts.title }}|{{ '\x07' }}\n")
    facts = status_facts(resolved_incident(title=PAYLOADS["window title"]), policy, T0)
    text = render_status(make_environment(tmp_path), MessageKind.INITIAL, facts, plain=True)
    assert text == "\\x1b]0;pwned\\x07 checkout|\\x07\n"
