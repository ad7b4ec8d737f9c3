"""Who acted, from the command line: --actor, then $WARROOM_ACTOR, then the name set in the
app, and only then the OS login, marked as such."""

from __future__ import annotations

import getpass
import json

import pytest

from warroom.system.paths import resolve_paths
from warroom.system.settings import save_display_name


def actors(run_cli, incident_id, *extra):
    code, out, err = run_cli("show", incident_id, "--json", *extra)
    assert (code, err) == (0, ""), err
    return [event["actor"] for event in json.loads(out)["timeline"]]


def declare_and_note(run_cli, *extra):
    code, out, err = run_cli("declare", "--title", "Checkout down", "--severity", "P1", *extra)
    assert (code, err) == (0, ""), err
    incident_id = int(out)
    code, _out, err = run_cli("note", incident_id, "Rolled back 4812", *extra)
    assert (code, err) == (0, ""), err
    return incident_id


def test_the_actor_option_names_who_acted(run_cli):
    incident_id = declare_and_note(run_cli, "--actor", "Dana Whitfield")
    assert actors(run_cli, incident_id) == ["Dana Whitfield", "Dana Whitfield"]


def test_the_actor_option_goes_before_the_verb_too(run_cli):
    code, out, err = run_cli(
        "--actor", "Noor Haddad", "declare", "--title", "DNS", "--severity", "P0"
    )
    assert (code, err) == (0, ""), err
    assert actors(run_cli, int(out)) == ["Noor Haddad"]


def test_the_environment_names_who_acted_unless_the_option_does(run_cli, monkeypatch):
    monkeypatch.setenv("WARROOM_ACTOR", "alerts-bot")
    by_env = declare_and_note(run_cli)
    by_option = declare_and_note(run_cli, "--actor", "Ravi Iyer")
    assert actors(run_cli, by_env) == ["alerts-bot", "alerts-bot"]
    assert actors(run_cli, by_option) == ["Ravi Iyer", "Ravi Iyer"]


def test_the_name_set_in_the_app_is_used_when_nothing_else_says(run_cli, monkeypatch):
    save_display_name(resolve_paths().settings_file, "  Priya   Raman ")
    incident_id = declare_and_note(run_cli)
    assert actors(run_cli, incident_id) == ["Priya Raman", "Priya Raman"]
    monkeypatch.setenv("WARROOM_ACTOR", "alerts-bot")
    assert actors(run_cli, declare_and_note(run_cli)) == ["alerts-bot", "alerts-bot"]


def test_with_no_name_anywhere_the_os_login_is_used_and_marked(run_cli):
    incident_id = declare_and_note(run_cli)
    assert actors(run_cli, incident_id) == [f"{getpass.getuser()} (OS login)"] * 2


@pytest.mark.parametrize("bad", ["x" * 81, "Dana\x07"])
def test_an_unusable_name_is_refused_and_the_next_source_used(run_cli, monkeypatch, bad):
    monkeypatch.setenv("WARROOM_ACTOR", "alerts-bot")
    incident_id = declare_and_note(run_cli, "--actor", bad)
    assert actors(run_cli, incident_id) == ["alerts-bot", "alerts-bot"]
