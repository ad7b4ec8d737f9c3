"""Mitigation playbooks: the shipped one reads as documented, a broken team file is named down
to the dotted key, and the app offers the built-in playbook beside the team's valid ones."""

from __future__ import annotations

import pytest

from warroom.domain.playbook import (
    AnswerKind,
    PlaybookError,
    TriageFlag,
    load_playbook_file,
)
from warroom.system.paths import AppPaths, builtin_playbook_file
from warroom.system.settings import load_playbooks

BUILTIN_NAME = "Standard mitigation"

NAME = 'name = "Team"\n'
TRIAGE = """
[[triage]]
key = "impact"
question = "What is the impact?"

[[triage]]
key = "breach"
question = "Is this a breach?"
kind = "yes_no"
flag = "security"
"""
SECURITY = """
[security]
steps = ["Preserve the logs"]
"""
OPTIONS = """
[[option]]
key = "restart"
title = "Restart"
question = "Is a process stuck?"

[[option]]
key = "purge"
title = "Purge the cache"
question = "Is the cache stale?"
"""
VALID = NAME + TRIAGE + SECURITY + OPTIONS


def write(folder, text, name="team.toml"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def builtin():
    return load_playbook_file(builtin_playbook_file())


def app_paths(tmp_path):
    return AppPaths(
        data_dir=tmp_path / "data", config_dir=tmp_path / "config", log_dir=tmp_path / "log"
    )


# -- the shipped playbook -------------------------------------------------------------------
def test_builtin_playbook_has_ten_triage_questions(builtin):
    assert builtin.name == BUILTIN_NAME
    assert len(builtin.triage) == 10
    assert builtin.triage[0].question == "What is the user impact right now?"


def test_builtin_options_are_in_the_mitigation_order(builtin):
    assert [o.key for o in builtin.options] == [
        "rollback",
        "scale",
        "failover",
        "disable_feature",
        "redirect",
        "rate_limit",
    ]


def test_builtin_flags_the_security_and_corruption_questions(builtin):
    security = builtin.flagged(TriageFlag.SECURITY)
    corruption = builtin.flagged(TriageFlag.DATA_CORRUPTION)
    assert security is not None and security.question == "Is this a security breach?"
    assert corruption is not None
    assert corruption.question == "Is data being corrupted while we look?"
    assert security.kind is AnswerKind.YES_NO and corruption.kind is AnswerKind.YES_NO
    flagged = [q.key for q in builtin.triage if q.flag is not None]
    assert flagged == ["corruption", "security"]


def test_only_rollback_asks_for_the_change(builtin):
    assert builtin.option("rollback").asks_for_change is True
    assert [o.key for o in builtin.options if o.asks_for_change] == ["rollback"]
    assert builtin.option("rollback").verb == "roll back"


def test_builtin_has_security_steps(builtin):
    assert len(builtin.security_steps) == 3
    assert builtin.security_steps[0].startswith("Preserve evidence")


def test_unknown_option_key_raises_key_error(builtin):
    with pytest.raises(KeyError):
        builtin.option("reboot_everything")


# -- a malformed file names the file and the key --------------------------------------------
MALFORMED = [
    pytest.param(
        NAME + "oops = = 3\n" + TRIAGE + SECURITY + OPTIONS, "(syntax)", None, id="toml-syntax"
    ),
    pytest.param(TRIAGE + SECURITY + OPTIONS, "name", "missing", id="missing-name"),
    pytest.param(
        'name = "   "\n' + TRIAGE + SECURITY + OPTIONS, "name", "must not be empty", id="blank-name"
    ),
    pytest.param(
        NAME
        + TRIAGE
        + SECURITY
        + '\n[[option]]\nkey = "restart"\ntitle = "Restart"\n'
        + OPTIONS.replace('key = "restart"', 'key = "reboot"', 1),
        "option[1].question",
        "missing",
        id="option-missing-question",
    ),
    pytest.param(
        NAME
        + '\n[[triage]]\nkey = "impact"\nquestion = "What is the impact?"\nflag = "security"\n'
        + SECURITY
        + OPTIONS,
        "triage[1].flag",
        'needs kind = "yes_no"',
        id="flag-on-text-question",
    ),
    pytest.param(
        NAME
        + TRIAGE
        + '\n[[triage]]\nkey = "users"\nquestion = "How many users?"\nkind = "number"\n'
        + SECURITY
        + OPTIONS,
        "triage[3].kind",
        '\'number\' is not one of "text", "yes_no"',
        id="unknown-kind",
    ),
    pytest.param(
        NAME + TRIAGE.replace('flag = "security"', 'flag = "outage"') + SECURITY + OPTIONS,
        "triage[2].flag",
        '\'outage\' is not one of "security", "data_corruption"',
        id="unknown-flag",
    ),
    pytest.param(
        NAME + TRIAGE + SECURITY + OPTIONS.replace('key = "purge"', 'key = "restart"'),
        "option[2].key",
        "'restart' is used twice",
        id="duplicate-option-key",
    ),
    pytest.param(
        NAME + TRIAGE.replace('key = "breach"', 'key = "impact"') + SECURITY + OPTIONS,
        "triage[2].key",
        "'impact' is used twice",
        id="duplicate-triage-key",
    ),
    pytest.param(
        NAME
        + TRIAGE
        + SECURITY
        + OPTIONS.replace('title = "Restart"', 'title = "Restart"\nfacts = ["Uptime", 3]'),
        "option[1].facts",
        "must be a list of text",
        id="facts-not-all-strings",
    ),
    pytest.param(
        NAME
        + TRIAGE
        + SECURITY
        + OPTIONS.replace('title = "Purge the cache"', 'title = "Purge"\nfacts = "Hit rate"'),
        "option[2].facts",
        "must be a list of text",
        id="facts-a-single-string",
    ),
    pytest.param(
        NAME
        + TRIAGE
        + SECURITY
        + OPTIONS.replace('title = "Restart"', 'title = "Restart"\nasks_for_change = "yes"'),
        "option[1].asks_for_change",
        "must be true or false",
        id="asks-for-change-not-bool",
    ),
    pytest.param(
        NAME + TRIAGE + "\n[security]\nsteps = 7\n" + OPTIONS,
        "security.steps",
        "must be a list of text",
        id="security-steps-not-a-list",
    ),
    pytest.param(
        NAME + TRIAGE + OPTIONS, "security", "missing table", id="no-security-without-fallback"
    ),
    pytest.param(
        NAME + TRIAGE + SECURITY,
        "option",
        "needs at least one [[option]] entry",
        id="no-options",
    ),
    pytest.param(
        NAME + 'option = ["restart"]\n' + TRIAGE + SECURITY,
        "option",
        "must be written as [[option]] tables",
        id="options-not-tables",
    ),
]


@pytest.mark.parametrize(("text", "key", "problem"), MALFORMED)
def test_malformed_playbook_names_file_and_key(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(PlaybookError) as caught:
        load_playbook_file(path)
    error = caught.value
    assert error.source == str(path)
    assert error.key == key
    if problem is not None:
        assert error.problem == problem
    assert error.problem
    # What a user sees: the file, then the key, then the problem, on one line.
    assert str(error) == f"{path}: {key}: {error.problem}"


def test_syntax_error_says_where(tmp_path):
    path = write(tmp_path, NAME + "oops = = 3\n" + TRIAGE + SECURITY + OPTIONS)
    with pytest.raises(PlaybookError) as caught:
        load_playbook_file(path)
    assert "line 2" in caught.value.problem


def test_missing_file_is_a_file_problem(tmp_path):
    path = tmp_path / "gone.toml"
    with pytest.raises(PlaybookError) as caught:
        load_playbook_file(path)
    assert caught.value.source == str(path)
    assert caught.value.key == "(file)"
    assert caught.value.problem.startswith("cannot be read: ")


def test_non_utf8_file_is_a_file_problem(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "Équipe"\n'.encode("latin-1"))
    with pytest.raises(PlaybookError) as caught:
        load_playbook_file(path)
    assert (caught.value.key, caught.value.problem) == ("(file)", "is not UTF-8 text")


def test_a_complete_team_file_loads_on_its_own(tmp_path):
    playbook = load_playbook_file(write(tmp_path, VALID))
    assert playbook.name == "Team"
    assert [q.key for q in playbook.triage] == ["impact", "breach"]
    assert playbook.flagged(TriageFlag.SECURITY).key == "breach"
    assert playbook.flagged(TriageFlag.DATA_CORRUPTION) is None
    assert playbook.security_steps == ("Preserve the logs",)
    # A missing verb is the title in lower case, for sentences.
    assert playbook.option("purge").verb == "purge the cache"
    assert playbook.option("restart").asks_for_change is False


# -- fallback to the built-in playbook ------------------------------------------------------
def test_options_only_team_file_takes_triage_and_security_from_fallback(tmp_path, builtin):
    path = write(tmp_path, NAME + OPTIONS)
    playbook = load_playbook_file(path, fallback=builtin)
    assert playbook.name == "Team"
    assert playbook.source == str(path)
    assert playbook.triage == builtin.triage
    assert playbook.security_steps == builtin.security_steps
    assert [o.key for o in playbook.options] == ["restart", "purge"]


def test_options_only_team_file_without_fallback_needs_triage(tmp_path):
    with pytest.raises(PlaybookError) as caught:
        load_playbook_file(write(tmp_path, NAME + OPTIONS))
    assert caught.value.key == "triage"


def test_team_triage_replaces_fallback_triage(tmp_path, builtin):
    playbook = load_playbook_file(write(tmp_path, NAME + TRIAGE + OPTIONS), fallback=builtin)
    assert [q.key for q in playbook.triage] == ["impact", "breach"]
    assert playbook.security_steps == builtin.security_steps


# -- load_playbooks: what the app offers ----------------------------------------------------
def test_no_team_folder_offers_only_the_builtin(tmp_path):
    playbooks, warnings = load_playbooks(app_paths(tmp_path))
    assert [p.name for p in playbooks] == [BUILTIN_NAME]
    assert warnings == []


def test_empty_team_folder_offers_only_the_builtin(tmp_path):
    paths = app_paths(tmp_path)
    paths.user_playbooks.mkdir(parents=True)
    write(paths.user_playbooks, "not a playbook", name="notes.txt")
    playbooks, warnings = load_playbooks(paths)
    assert [p.name for p in playbooks] == [BUILTIN_NAME]
    assert warnings == []


def test_valid_team_file_comes_after_the_builtin(tmp_path):
    paths = app_paths(tmp_path)
    path = write(paths.user_playbooks, NAME + OPTIONS)
    playbooks, warnings = load_playbooks(paths)
    assert [p.name for p in playbooks] == [BUILTIN_NAME, "Team"]
    assert warnings == []
    team = playbooks[1]
    assert team.source == str(path)
    assert team.triage == playbooks[0].triage  # built-in triage as fallback


def test_team_files_are_offered_in_file_name_order(tmp_path):
    paths = app_paths(tmp_path)
    write(paths.user_playbooks, 'name = "Zeta"\n' + OPTIONS, name="a.toml")
    write(paths.user_playbooks, 'name = "Alpha"\n' + OPTIONS, name="b.toml")
    playbooks, _ = load_playbooks(paths)
    assert [p.name for p in playbooks] == [BUILTIN_NAME, "Zeta", "Alpha"]


def test_malformed_team_file_is_left_out_with_a_warning(tmp_path):
    paths = app_paths(tmp_path)
    write(paths.user_playbooks, NAME + OPTIONS, name="good.toml")
    bad = write(
        paths.user_playbooks,
        'name = "Broken"\n[[option]]\nkey = "restart"\ntitle = "Restart"\n',
        name="broken.toml",
    )
    playbooks, warnings = load_playbooks(paths)
    assert [p.name for p in playbooks] == [BUILTIN_NAME, "Team"]
    assert warnings == [
        f"The playbook {bad} has a problem at “option[1].question”: missing. "
        "It is left out until it is fixed."
    ]


def test_team_file_named_like_the_builtin_is_left_out(tmp_path):
    paths = app_paths(tmp_path)
    clash = write(paths.user_playbooks, f'name = "{BUILTIN_NAME}"\n' + OPTIONS)
    playbooks, warnings = load_playbooks(paths)
    assert [p.source for p in playbooks] == [str(builtin_playbook_file())]
    assert warnings == [
        f"The playbook {clash} is named “{BUILTIN_NAME}” like another one; "
        "it is left out until it has a name of its own."
    ]


def test_second_team_file_with_the_same_name_is_left_out(tmp_path):
    paths = app_paths(tmp_path)
    first = write(paths.user_playbooks, NAME + OPTIONS, name="a.toml")
    second = write(paths.user_playbooks, NAME + OPTIONS, name="b.toml")
    playbooks, warnings = load_playbooks(paths)
    assert [p.source for p in playbooks[1:]] == [str(first)]
    assert len(warnings) == 1 and str(second) in warnings[0]
