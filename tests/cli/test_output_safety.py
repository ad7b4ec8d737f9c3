"""What an alert hook puts in a title or a note cannot take over the terminal: `list`,
`show`, `evidence verify` and every message show control characters as visible escapes,
while JSON stays exact (the same string decodes back)."""

from __future__ import annotations

import json

import pytest

from warroom.domain.safe_text import CONTROL

# An alert hook's title or note, each aimed at the terminal that prints it.
PAYLOADS = {
    "clear screen": ("\x1b[2J\x1b[H ALL CLEAR", "\\x1b[2J\\x1b[H ALL CLEAR"),
    "window title": ("\x1b]0;pwned\x07 checkout", "\\x1b]0;pwned\\x07 checkout"),
    "bare CR": ("DB down\rALL CLEAR", "DB down\\rALL CLEAR"),
    "backspace": ("P0\x08\x08P3 minor", "P0\\x08\\x08P3 minor"),
    "bidi override": ("invoice \u202egpj.exe", "invoice \\u202egpj.exe"),
    "C1 CSI": ("\x9b2J reset", "\\x9b2J reset"),
}


def declare(run_cli, title, *extra):
    code, out, err = run_cli("declare", "--title", title, "--severity", "P1", *extra)
    assert (code, err) == (0, ""), err
    return int(out)


@pytest.mark.parametrize("name", PAYLOADS)
def test_list_and_show_print_escapes_not_controls(run_cli, name):
    raw, shown = PAYLOADS[name]
    incident_id = declare(run_cli, f"Checkout {raw}", "--commander", raw, "--impact", raw)
    assert run_cli("note", incident_id, raw)[0] == 0
    # A title or a name is kept on one line (a CR in it becomes a space when it is stored);
    # the impact and notes keep theirs, shown as \r.
    one_line = " ".join(raw.split())
    code, out, err = run_cli("list")
    assert (code, err) == (0, "")
    assert CONTROL.search(out) is None, out
    assert shown in out or name == "bare CR" and one_line in out
    code, out, err = run_cli("show", incident_id)
    assert (code, err) == (0, "")
    assert CONTROL.search(out) is None, out
    assert f"impact: {shown}" in out
    assert out.splitlines()[-1].endswith(f": {shown}")  # the note


def test_json_stays_exact(run_cli):
    title = "".join(raw for raw, _ in PAYLOADS.values()) + "\x7f"
    incident_id = declare(run_cli, title)
    for args in (("list", "--json"), ("show", incident_id, "--json")):
        code, out, err = run_cli(*args)
        assert (code, err) == (0, "")
        assert CONTROL.search(out) is None
        assert "\\u202e" in out and "\\u009b" in out and "\\u007f" in out and "\\u001b" in out
        found = json.loads(out)
        shown = found[0]["title"] if isinstance(found, list) else found["title"]
        assert shown == " ".join(title.split())  # the stored title, character for character


def test_messages_and_usage_errors_are_escaped_too(run_cli):
    incident_id = declare(run_cli, "Title \x1b]0;pwned\x07")
    code, out, err = run_cli("delete", incident_id)
    assert code == 1 and CONTROL.search(err) is None
    assert "\\x1b]0;pwned\\x07" in err
    with pytest.raises(SystemExit) as stopped:
        run_cli("show", "\x1b[2J7")
    assert stopped.value.code == 2


def test_usage_errors_show_escapes(capsys, data_dir):
    from warroom.__main__ import main

    with pytest.raises(SystemExit):
        main(["--data-dir", str(data_dir), "show", "\x1b[2J7"])
    err = capsys.readouterr().err
    assert "'\\x1b[2J7' is not an incident id" in err
    assert CONTROL.search(err) is None


def test_evidence_verify_escapes_names(run_cli, tmp_path):
    incident_id = declare(run_cli, "Evidence")
    hostile = tmp_path / "app\x1b[2J.log"
    hostile.write_bytes(b"log\n")
    assert run_cli("evidence", "add", incident_id, hostile)[0] == 0
    code, out, err = run_cli("evidence", "verify", incident_id)
    assert (code, err) == (0, "")
    assert CONTROL.search(out) is None
    assert "app\\x1b[2J.log" in out
