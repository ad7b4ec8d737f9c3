"""Hypothesis drives the command line through its real entry point (warroom.__main__.main,
in-process): any argument list ends with an exit code from 0 to 3 and, when it is not 0, a
message on standard error; never a traceback, and never a raw control character printed.

The arguments mix every verb and option with hostile values: ids that overflow, dates at the
edge of the calendar, naive and malformed times, unknown severities, texts with terminal
escapes, bidi controls, lone surrogates (what undecodable bytes in argv become) and a million
characters. All examples of a test share one data folder, so later commands meet what earlier
ones stored (and deleted). The working directory is a scratch folder: files named on the
command line (evidence, -o, restore) are relative to it. --data-dir is always the scratch
data folder: no generated argument may name another.

WARROOM_CLI_FUZZ_EXAMPLES sets the number of argument lists (default below: a few seconds);
WARROOM_FUZZ_EXAMPLES, which the long CI step sets, is used when it is not set.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from tests.cli.conftest import CLI_NOW
from tests.fuzz.reporting import report_cases
from warroom.domain.clock import FakeClock
from warroom.domain.safe_text import CONTROL

EXAMPLES = int(
    os.environ.get("WARROOM_CLI_FUZZ_EXAMPLES", os.environ.get("WARROOM_FUZZ_EXAMPLES", "60"))
)
CLI_FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CASES = {"argument lists": 0}

IDS = ["1", "2", "3", "1", "2", "0", "-1", "007", "99999999999999999999", "1e3", "١"]
TIMES = [
    "2026-11-22T14:02:00Z", "2026-11-22T14:02:00+00:00", "2026-11-22T14:02:00",
    "2001-11-22T14:20:00Z", "2030-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00", "1970-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "now", "",
]  # fmt: skip
DATES = ["2026-11-01", "0001-01-01", "0999-06-15", "9999-12-31", "10000-01-01", "2026-13-01"]
SEVERITIES = ["P0", "p1", "P2", "P3", "P4", "sev1", ""]
HOSTILE = [
    "\x1b[2J\x1b[H ALL CLEAR", "\x1b]0;pwned\x07", "down\rALL CLEAR", "P0\x08\x08P3",
    "invoice \u202egpj.exe", "\x9b2J", "\udcff\udcfe", "x" * 1_000_001, "n" * 201, " ", "",
    "é中🚨", "Checkout down",
]  # fmt: skip
PATHS = ["app.log", "data", "data/vault", "bundle.zip", "out.md", "nothing/here.zip", "-"]
# Any text but NUL (argv cannot hold one), never naming a path outside the scratch folder.
TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=20).filter(
    lambda t: not t.startswith(("/", "--d", "-d"))
)
VALUE = st.one_of(st.sampled_from(HOSTILE), TEXT)
ID = st.one_of(st.sampled_from(IDS), TEXT)
TIME = st.one_of(st.sampled_from(TIMES), TEXT)
PATH = st.one_of(st.sampled_from(PATHS), TEXT)
OPTIONS = [
    "--title", "--severity", "--at", "--force", "--all", "--json", "--csv", "--yes", "-o",
    "--template", "--item", "--since", "--reason", "--help", "--", "-x",
]  # fmt: skip
OPTION_KEYS = st.one_of(
    st.sampled_from(["rollback", "scale", "failover", "disable_feature", "rate-limit", "reboot"]),
    TEXT,
)
ANSWERS = st.sampled_from(["rollback=yes", "security=yes", "changed=deploy 4812", "x=y", "=", ""])
CHATS = ["chat.txt", "slack.json"]
ZONES = ["UTC", "Europe/Berlin", "+01:00", "Mars/Olympus", "../../etc/passwd"]
NOISE = st.lists(st.one_of(st.sampled_from(OPTIONS), st.sampled_from(IDS), VALUE), max_size=3)


def optional(*parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    """Each part or nothing, in the order given."""
    return st.tuples(*(st.one_of(st.just([]), part) for part in parts)).map(
        lambda chosen: [token for part in chosen for token in part]
    )


def flag(name: str) -> st.SearchStrategy[list[str]]:
    return st.just([name])


def option(name: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return value.map(lambda v: [name, v])


def verb(*fixed: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return st.tuples(*fixed).map(lambda parts: [token for part in parts for token in part])


def words(*tokens: str) -> st.SearchStrategy[list[str]]:
    return st.just(list(tokens))


def one(value: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return value.map(lambda v: [v])


# Each verb in its own shape (so most lists get past the parser to the service), with
# hostile values; then, now and again, noise: stray options, values and words.
SHAPES = st.one_of(
    verb(
        words("declare"),
        option("--title", VALUE),
        option("--severity", st.sampled_from(SEVERITIES)),
        optional(
            option("--impact", VALUE),
            option("--started", TIME),
            option("--commander", VALUE),
            flag("--drill"),
            option("--declared", TIME),
            option("--detected", TIME),
            flag("--security"),
            option("--service", VALUE),
            option("--dedupe-key", VALUE),
        ),
    ),
    # The actions on an incident, each with an effective time now and again.
    verb(words("ack"), one(ID), optional(option("--at", TIME), flag("--json"))),
    verb(
        words("severity"),
        one(ID),
        one(st.sampled_from(SEVERITIES)),
        optional(option("--reason", VALUE), option("--at", TIME)),
    ),
    verb(
        words("role"),
        one(ID),
        one(st.sampled_from(["commander", "tech-lead", "comms-lead", "scribe", "boss"])),
        one(VALUE),
        optional(option("--at", TIME)),
    ),
    verb(
        words("update"),
        one(ID),
        st.one_of(option("--text", VALUE), option("--elsewhere", VALUE), option("--file", PATH)),
        optional(option("--audience", VALUE), option("--at", TIME)),
    ),
    verb(
        words("time"),
        one(ID),
        one(
            st.sampled_from(
                [
                    "impact-started",
                    "detected",
                    "declared",
                    "acknowledged",
                    "mitigated",
                    "resolved",
                    "lunch",
                ]
            )
        ),
        one(st.one_of(TIME, st.just("none"))),
        optional(flag("--force")),
    ),  # fmt: skip
    verb(
        words("status"),
        one(ID),
        one(st.sampled_from(["triage", "active", "mitigated", "resolved", "closed", "gone"])),
        optional(option("--reason", VALUE), option("--at", TIME)),
    ),
    verb(words("resolve"), one(ID), optional(option("--reason", VALUE), option("--at", TIME))),
    verb(words("close"), one(ID), optional(option("--reason", VALUE))),
    verb(
        words("reopen"),
        one(ID),
        option("--to", st.sampled_from(["triage", "active", "mitigated"])),
        optional(option("--reason", VALUE)),
    ),
    verb(
        words("security"),
        one(ID),
        one(st.sampled_from(["on", "off"])),
        optional(option("--reason", VALUE)),
    ),
    verb(words("service"), one(ID), one(VALUE)),
    verb(words("mark-duplicate"), one(ID), option("--of", ID)),
    verb(words("link"), one(ID), one(ID)),
    # The work after declaring: the wizard's steps, verify, the post-mortem, messages.
    verb(words("mitigation"), one(ID), optional(one(st.just("show")), flag("--json"))),
    verb(
        words("mitigation"),
        one(ID),
        words("triage"),
        optional(option("--answer", st.one_of(ANSWERS, VALUE)), option("--playbook", VALUE)),
    ),
    verb(
        words("mitigation"),
        one(ID),
        words("apply"),
        one(OPTION_KEYS),
        option("--expect", VALUE),
        optional(
            option("--action", VALUE),
            option("--by", VALUE),
            option("--check-back", st.sampled_from(["10", "0", "-5", "100000", "x"])),
            option("--kind", st.one_of(st.sampled_from(["rollback", "containment"]), TEXT)),
            option("--change", VALUE),
            option("--changed-at", TIME),
            option("--override-reason", VALUE),
            option("--preserve-reason", VALUE),
            option("--at", TIME),
            flag("--json"),
        ),
    ),
    verb(
        words("mitigation"),
        one(ID),
        words("outcome"),
        one(st.sampled_from(["worked", "partly", "no-effect", "made-worse", "meh"])),
        optional(option("--step", ID), option("--note", VALUE), option("--at", TIME)),
    ),
    verb(
        words("mitigation"),
        one(ID),
        words("skip"),
        one(OPTION_KEYS),
        optional(option("--reason", VALUE), flag("--not-applicable"), option("--at", TIME)),
    ),
    verb(
        words("mitigation"),
        one(ID),
        words("park"),
        option("--waiting-on", VALUE),
        optional(option("--step", ID), option("--at", TIME)),
    ),
    verb(words("mitigation"), one(ID), words("remove"), option("--step", ID)),
    verb(
        words("verify"),
        one(ID),
        option("--measurement", VALUE),
        optional(
            option("--check", st.sampled_from(["health-check", "error-rate", "key-metric", "x"])),
            option("--link", VALUE),
            option("--at", TIME),
        ),
    ),
    verb(
        words("action"),
        one(ID),
        words("add"),
        one(VALUE),
        optional(
            option("--owner", VALUE), option("--due", st.one_of(st.sampled_from(DATES), TEXT))
        ),
    ),
    verb(words("action"), one(ID), words("done"), one(ID), optional(flag("--wont-do"))),
    verb(words("action"), one(ID), words("list"), optional(flag("--json"))),
    verb(
        words("postmortem"),
        one(ID),
        words("set"),
        one(st.sampled_from(["root-cause", "authors", "title", "lessons", "colour"])),
        st.one_of(option("--text", VALUE), option("--file", PATH)),
    ),
    verb(words("postmortem"), one(ID), one(st.sampled_from(["publish", "review", "draft"]))),
    verb(
        words("message"),
        one(ID),
        one(st.sampled_from(["initial", "update", "resolution", "rumour"])),
        optional(flag("--plain"), flag("--sent"), option("--eta", VALUE)),
    ),
    verb(
        words("import-chat"),
        one(ID),
        one(st.one_of(st.sampled_from(CHATS), PATH)),
        optional(
            option("--date", st.one_of(st.sampled_from(DATES), TEXT)),
            option("--zone", st.one_of(st.sampled_from(ZONES), TEXT)),
            flag("--dry-run"),
            flag("--force"),
        ),
    ),
    verb(words("note"), one(ID), one(VALUE), optional(option("--at", TIME), flag("--force"))),
    verb(words("list"), optional(flag("--all"), flag("--json"))),
    verb(words("show"), one(ID), optional(flag("--json"))),
    verb(words("delete"), one(ID), optional(flag("--yes"))),
    verb(words("export"), one(ID), optional(option("-o", PATH), option("--template", PATH))),
    verb(
        words("metrics"),
        optional(option("--since", st.one_of(st.sampled_from(DATES), TEXT))),
        optional(st.sampled_from([["--json"], ["--csv"]])),
    ),
    verb(words("backup"), optional(option("-o", PATH))),
    verb(words("restore"), one(PATH)),
    words("paths"),
    verb(
        words("evidence", "add"),
        one(ID),
        st.lists(PATH, min_size=1, max_size=3),
        optional(option("--item", VALUE), option("--note", VALUE)),
    ),
    verb(words("evidence", "checklist"), one(ID)),
    verb(words("evidence", "verify"), optional(one(ID))),
    verb(
        words("evidence", "export"),
        one(ID),
        option("-o", PATH),
        optional(option("--reason", VALUE)),
    ),
)
ARGV = st.tuples(SHAPES, st.one_of(st.just([]), st.just([]), st.just([]), NOISE)).map(
    lambda parts: [*parts[0], *parts[1]]
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("cli-fuzz")
    (folder / "app.log").write_text("ERROR checkout 500\n")
    (folder / "chat.txt").write_text("14:01 Ana: rolled back\n14:03 Ben: \x1b[2J better\n")
    (folder / "slack.json").write_text(
        '[{"ts": "1795356060.000100", "user": "U1", "text": "rolled back <@U2>",'
        ' "user_profile": {"real_name": "Ana"}}, {"subtype": "channel_join", "ts": "1"}]'
    )
    yield folder
    report_cases(request, "CLI argument lists", CASES)


@pytest.fixture
def cli(scratch, monkeypatch, capsys):
    """main(argv) in the scratch folder, on a fixed clock, never reaching for the GUI."""
    from warroom.__main__ import build_parser, main

    monkeypatch.chdir(scratch)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(scratch / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(scratch / "state"))
    monkeypatch.delenv("WARROOM_DATA_DIR", raising=False)
    monkeypatch.setattr("warroom.cli.main.SystemClock", lambda: FakeClock(CLI_NOW))
    monkeypatch.setitem(sys.modules, "warroom.ui.app", None)  # a headless verb must not load it
    data = ["--data-dir", str(scratch / "data")]

    def run(argv: list[str]) -> tuple[int, str, str]:
        try:
            with (
                contextlib.redirect_stderr(io.StringIO()),
                contextlib.redirect_stdout(io.StringIO()),
            ):
                args = build_parser().parse_args([*data, *argv])
        except SystemExit:
            args = None  # a usage error (or --help): main must say so the same way
        assert args is None or args.verb not in (None, "demo")  # those would open the window
        try:
            code = main([*data, *argv])
        except SystemExit as stopped:  # argparse: --help (0) or bad usage (2)
            code = stopped.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@CLI_FUZZ
@given(argv=ARGV)
@example(argv=["metrics", "--since", "0001-01-01"])
@example(argv=["note", "1", "x", "--at", "0001-01-01T00:00:00+14:00"])
@example(argv=["declare", "--title", "\udcff", "--severity", "P1"])
@example(argv=["show", "99999999999999999999"])
@example(argv=["evidence", "add", "1", "app.log", "data", "nothing/here.log"])
@example(argv=["evidence", "export", "1", "-o", "nothing/here.zip"])
@example(argv=["restore", "app.log"])
@example(argv=["export", "1", "--template", "app.log"])
@example(argv=["backup", "-o", "app.log"])  # app.log is now a binary file...
@example(argv=["export", "1", "--template", "app.log"])  # ...which is no template
@example(argv=["declare", "--title", "x", "--severity", "P0", "\udcff\udcfe"])
def test_any_argument_list_ends_with_an_exit_code_and_a_message(cli, argv):
    CASES["argument lists"] += 1
    code, out, err = cli(argv)
    hypothesis_event(f"{' '.join(argv[:2]) if argv[0] == 'evidence' else argv[0]}: exit {code}")
    assert code in (0, 1, 2, 3, 4), (code, err)  # the table in `warroom --help`
    if code != 0:  # a message says why (`evidence verify` lists its findings on stdout)
        assert err.strip() or out.strip(), f"exit {code} without a message"
    assert "Traceback" not in err
    assert CONTROL.search(out) is None and CONTROL.search(err) is None, (out, err)


def test_the_fuzzer_reaches_the_verbs(cli):
    """A self-check: a plain declaration through the same harness does what it says."""
    code, out, err = cli(["declare", "--title", "Checkout down", "--severity", "P1"])
    assert (code, err) == (0, "")
    assert int(out) >= 1
    code, out, _ = cli(["show", out.strip()])
    assert code == 0 and "Checkout down" in out
