"""The exit-code table (warroom --help, README) and the --json error object."""

from __future__ import annotations

import json

import pytest

from warroom.__main__ import build_parser


def declare(run_cli):
    code, out, err = run_cli("declare", "--title", "Checkout down", "--severity", "P1")
    assert (code, err) == (0, ""), err
    return int(out)


def error_of(out):
    return json.loads(out)["error"]


@pytest.mark.parametrize(
    "argv",
    [
        ("show", "99"),
        ("ack", "99"),
        ("severity", "99", "P0"),
        ("service", "99", "search"),
        ("note", "99", "hello"),
        ("export", "99"),
        ("delete", "99", "--yes"),
        ("evidence", "checklist", "99"),
    ],
)
def test_an_unknown_incident_exits_4(run_cli, argv):
    declare(run_cli)
    code, out, err = run_cli(*argv)
    assert (code, out) == (4, "")
    assert "no incident #99" in err


def test_with_json_an_unknown_incident_is_a_json_error_on_stdout(run_cli):
    code, out, err = run_cli("show", "99", "--json")
    assert code == 4
    assert error_of(out) == {
        "code": 4,
        "kind": "not-found",
        "message": "There is no incident #99.",
    }
    assert "There is no incident #99." in err  # the human message stays on stderr


def test_with_json_a_refused_stage_move_is_a_json_error(run_cli):
    incident_id = declare(run_cli)
    code, out, err = run_cli("status", incident_id, "closed", "--json")
    assert code == 3
    error = error_of(out)
    assert (error["code"], error["kind"]) == (3, "refused")
    assert error["message"] in err


def test_with_json_a_bad_value_is_a_json_error(run_cli):
    incident_id = declare(run_cli)
    code, out, err = run_cli("severity", incident_id, "P9", "--json")
    assert code == 1
    error = error_of(out)
    assert (error["code"], error["kind"]) == (1, "invalid")
    assert error["message"] in err


def test_with_json_a_usage_error_is_a_json_error(run_cli, capsys):
    with pytest.raises(SystemExit) as caught:
        run_cli("show", "x", "--json")
    assert caught.value.code == 2
    out, err = capsys.readouterr()
    error = error_of(out)
    assert (error["code"], error["kind"]) == (2, "usage")
    assert "not an incident id" in error["message"]
    assert "usage:" in err


def test_without_json_nothing_goes_to_stdout(run_cli):
    code, out, _ = run_cli("show", "99")
    assert (code, out) == (4, "")


def test_an_unusable_file_exits_3_with_a_json_error(run_cli, data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / "warroom.db").write_bytes(b"not a database at all" * 100)
    code, out, err = run_cli("list", "--json")
    assert code == 3
    assert error_of(out)["kind"] == "refused"


def test_the_table_is_in_the_help():
    text = build_parser().format_help()
    for line in ("0  done", "2  bad usage", "3  refused", "4  not found"):
        assert line in text
