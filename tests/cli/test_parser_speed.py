"""The command line builds only the parser of the command asked for (none when it opens the
window): the same arguments parse to the same values, and the same mistakes give the same
usage errors, as with every parser built."""

from __future__ import annotations

import argparse

import pytest

from warroom.__main__ import VERB_NAMES, build_parser, chosen_verb


def test_every_command_is_known_without_building_the_parsers():
    full = build_parser()
    [verbs] = [a for a in full._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(verbs.choices) == VERB_NAMES


@pytest.mark.parametrize(
    ("argv", "verb"),
    [
        (["note", "7", "rolled back", "--at", "2026-11-22T14:02:00Z"], "note"),
        (["--actor", "Dana", "--data-dir", "x", "ack", "7", "--json"], "ack"),
        (["--data-dir", "note", "declare", "--title", "t", "--severity", "P1"], "declare"),
        (["mitigation", "7", "apply", "rollback", "--expect", "5xx down"], "mitigation"),
        (["evidence", "add", "7", "a.log", "--item", "Logs"], "evidence"),
        (["drill", "start", "bad-deploy", "--speed", "10"], "drill"),
    ],
)
def test_the_one_parser_reads_what_the_whole_one_does(argv, verb):
    assert chosen_verb(argv) == verb
    assert build_parser(verb).parse_args(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["note", "7"],  # missing text
        ["ack", "x"],  # not an id
        ["mitigation", "7", "outcome", "meh"],
        ["drill", "start"],
        ["--bogus"],  # opening the window: no command's parser is built
        ["--data-dir"],
        ["--actor"],
    ],
)
def test_a_mistake_gets_the_same_usage_error(argv, capsys):
    errors = []
    for parser in (build_parser(chosen_verb(argv)), build_parser()):
        with pytest.raises(SystemExit) as stopped:
            parser.parse_args(argv)
        assert stopped.value.code == 2
        errors.append(capsys.readouterr().err)
    assert errors[0] == errors[1]


@pytest.mark.parametrize(
    "argv", [[], ["--data-dir", "x"], ["--actor", "Dana", "--database", "postgresql://h/db"]]
)
def test_opening_the_window_builds_no_commands_parser(argv):
    assert chosen_verb(argv) == ""
    args = build_parser("").parse_args(argv)
    assert args == build_parser().parse_args(argv)
    assert args.verb is None


@pytest.mark.parametrize(
    "argv", [["--help"], ["nonsense"], ["--version"], ["-h", "note"], ["--", "note"]]
)
def test_anything_else_builds_every_parser(argv):
    assert chosen_verb(argv) is None
