"""The severity policy file: the shipped one parses, a broken one is named precisely, and the
app falls back to the built-in policy with a warning instead of refusing to start."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from warroom.domain.durations import compact, describe_duration, hms, parse_duration
from warroom.domain.policy import DEFAULT_AUDIENCES, PolicyError, TargetKind, load_policy_file
from warroom.domain.severity import Severity
from warroom.system.paths import AppPaths, builtin_policy_file
from warroom.system.settings import load_policy

VALID_LEVELS = {
    "P0": {"respond_within": "15m", "update_every": "15m", "postmortem_due": "48h"},
    "P1": {"respond_within": "30m", "update_every": "30m", "postmortem_due": "48h"},
    "P2": {"respond_within": "2h", "update_every": "2h", "postmortem_due": "none"},
    "P3": {
        "respond_within": "next business day",
        "update_every": "end of business day",
        "postmortem_due": "none",
    },
}
VALID_HOURS = {
    "timezone": "UTC",
    "workdays": ["mon", "tue", "wed", "thu", "fri"],
    "day_start": "09:00",
    "day_end": "18:00",
}


def _value(value):
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return f'"{value}"'


def render(levels=None, hours=None):
    """A policy file in TOML; pass changed tables, or None to leave a table out entirely."""
    levels = VALID_LEVELS if levels is None else levels
    hours = VALID_HOURS if hours is None else hours
    lines = []
    for name, table in levels.items():
        lines.append(f"[severity.{name}]")
        lines += [f"{key} = {_value(value)}" for key, value in table.items()]
    if hours:
        lines.append("[working_hours]")
        lines += [f"{key} = {_value(value)}" for key, value in hours.items()]
    return "\n".join(lines) + "\n"


def with_level(name, **changes):
    return {**VALID_LEVELS, name: {**VALID_LEVELS[name], **changes}}


@pytest.fixture
def write_policy(tmp_path):
    def write(text, name="policy.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def raised(path):
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    return caught.value


# -- the shipped file -------------------------------------------------------------------------


def test_builtin_policy_parses_with_the_documented_targets():
    path = builtin_policy_file()
    policy = load_policy_file(path)
    assert policy.source == str(path)
    assert set(policy.levels) == set(Severity)
    p0 = policy.for_severity(Severity.P0)
    assert p0.respond_within.span == timedelta(minutes=15)
    assert p0.update_every.span == timedelta(minutes=15)
    assert p0.postmortem_due == timedelta(hours=48)
    assert policy.for_severity(Severity.P1).update_every.span == timedelta(minutes=30)
    assert policy.for_severity(Severity.P2).respond_within.describe() == "2 h"
    assert policy.for_severity(Severity.P2).postmortem_due is None
    p3 = policy.for_severity(Severity.P3)
    assert p3.respond_within.kind is TargetKind.NEXT_BUSINESS_DAY
    assert p3.update_every.kind is TargetKind.END_OF_BUSINESS_DAY
    assert p3.update_every.describe() == "end of business day"
    hours = policy.working_hours
    assert hours.timezone == "local"
    assert hours.workdays == frozenset(range(5))
    assert (hours.day_start, hours.day_end) == (time(9, 0), time(18, 0))


def test_a_valid_user_file_parses(write_policy):
    hours = {**VALID_HOURS, "timezone": "Europe/Berlin", "workdays": ["Sunday", "mon"]}
    policy = load_policy_file(write_policy(render(with_level("P0", update_every="1h30m"), hours)))
    assert policy.for_severity(Severity.P0).update_every.span == timedelta(hours=1, minutes=30)
    assert policy.working_hours.timezone == "Europe/Berlin"
    assert policy.working_hours.workdays == frozenset({6, 0})


# -- broken files: each error names the file and the key ----------------------------------------


def test_bad_duration_names_the_file_and_the_key(write_policy):
    path = write_policy(render(with_level("P1", update_every="soon")))
    error = raised(path)
    assert error.key == "severity.P1.update_every"
    assert error.source == str(path)
    assert str(path) in str(error)
    assert "severity.P1.update_every" in str(error)
    assert "soon" in str(error)


@pytest.mark.parametrize(
    ("levels", "key"),
    [
        pytest.param(
            {k: v for k, v in VALID_LEVELS.items() if k != "P2"}, "severity.P2", id="missing-P2"
        ),
        pytest.param({**VALID_LEVELS, "P4": VALID_LEVELS["P3"]}, "severity.P4", id="unknown-P4"),
        pytest.param(
            {**VALID_LEVELS, "P0": {"respond_within": "15m", "postmortem_due": "48h"}},
            "severity.P0.update_every",
            id="missing-key",
        ),
        pytest.param(
            with_level("P0", respond_within="0m"), "severity.P0.respond_within", id="zero"
        ),
        pytest.param(
            with_level("P0", postmortem_due="2 weeks"), "severity.P0.postmortem_due", id="pm"
        ),
    ],
)
def test_structural_problems_name_the_key(write_policy, levels, key):
    path = write_policy(render(levels))
    error = raised(path)
    assert error.key == key
    assert str(path) in str(error)


def test_missing_severity_table_is_reported(write_policy):
    error = raised(write_policy(render(levels={})))
    assert error.key == "severity"
    assert "missing table" in str(error)


def test_bad_toml_syntax_is_reported_with_the_file(write_policy):
    path = write_policy('[severity.P0\nrespond_within = "15m"\n')
    error = raised(path)
    assert error.key == "(syntax)"
    assert str(path) in str(error)


def test_unreadable_or_non_utf8_file_is_reported(write_policy, tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("# caf\xe9\n".encode("latin-1"))
    assert raised(path).key == "(file)"
    missing = tmp_path / "nope.toml"
    error = raised(missing)
    assert error.key == "(file)"
    assert str(missing) in str(error)


def test_unknown_time_zone_is_reported(write_policy):
    error = raised(write_policy(render(hours={**VALID_HOURS, "timezone": "Mars/Olympus_Mons"})))
    assert error.key == "working_hours.timezone"
    assert "Mars/Olympus_Mons" in str(error)


@pytest.mark.parametrize(("start", "end"), [("18:00", "09:00"), ("09:00", "09:00")])
def test_day_end_must_be_after_day_start(write_policy, start, end):
    hours = {**VALID_HOURS, "day_start": start, "day_end": end}
    error = raised(write_policy(render(hours=hours)))
    assert error.key == "working_hours.day_end"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"workdays": ["mon", "funday"]}, "working_hours.workdays"),
        ({"workdays": []}, "working_hours.workdays"),
        ({"day_start": "nine"}, "working_hours.day_start"),
    ],
)
def test_bad_working_hours_name_the_key(write_policy, change, key):
    assert raised(write_policy(render(hours={**VALID_HOURS, **change}))).key == key


# -- the policy in force: user override or built-in ----------------------------------------------


@pytest.fixture
def app_paths(tmp_path):
    return AppPaths(
        data_dir=tmp_path / "data", config_dir=tmp_path / "config", log_dir=tmp_path / "logs"
    )


def test_without_override_the_builtin_policy_is_used(app_paths):
    policy, warnings = load_policy(app_paths)
    assert policy == load_policy_file(builtin_policy_file())
    assert warnings == []


def test_malformed_override_falls_back_to_builtin_with_a_warning(app_paths):
    """A typo in the user's file must not stop the app: the built-in policy applies, and the
    warning says which file and which key to fix."""
    app_paths.config_dir.mkdir()
    app_paths.user_policy.write_text(render(with_level("P1", update_every="soon")))
    policy, warnings = load_policy(app_paths)
    assert policy == load_policy_file(builtin_policy_file())
    assert len(warnings) == 1
    assert str(app_paths.user_policy) in warnings[0]
    assert "severity.P1.update_every" in warnings[0]
    assert "built-in policy" in warnings[0]


def test_valid_override_is_used(app_paths):
    app_paths.config_dir.mkdir()
    app_paths.user_policy.write_text(render(with_level("P0", update_every="10m")))
    policy, warnings = load_policy(app_paths)
    assert warnings == []
    assert policy.source == str(app_paths.user_policy)
    assert policy.for_severity(Severity.P0).update_every.span == timedelta(minutes=10)


# -- durations as people write and read them -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("48h", timedelta(hours=48)),
        ("90s", timedelta(seconds=90)),
        ("1d", timedelta(days=1)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_parse_duration_accepts_what_people_write(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "soon", "15", "-5m", "0m", "15 min", "1.5h", "m"])
def test_parse_duration_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0:00"),
        (timedelta(seconds=1), "0:01"),
        (timedelta(minutes=3), "3:00"),
        (timedelta(minutes=59, seconds=59), "59:59"),
        (timedelta(hours=1), "1:00:00"),
        (timedelta(hours=23, minutes=59, seconds=59), "23:59:59"),
        (timedelta(days=1), "1d 00:00"),
        (timedelta(days=2, hours=23), "2d 23:00"),
        (timedelta(seconds=-5), "0:00"),
    ],
)
def test_compact_countdown_format(span, text):
    assert compact(span) == text


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0:00:00"),
        (timedelta(seconds=61), "0:01:01"),
        (timedelta(hours=26, minutes=3, seconds=4), "26:03:04"),
        (timedelta(hours=99, minutes=59, seconds=59), "99:59:59"),
        (timedelta(hours=100), "4d 04:00:00"),
        (timedelta(days=2729, hours=4, minutes=15), "2729d 04:15:00"),
        (timedelta(seconds=-1), "0:00:00"),
    ],
)
def test_hms_elapsed_format(span, text):
    assert hms(span) == text


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(minutes=15), "15 min"),
        (timedelta(hours=1, minutes=30), "1 h 30 min"),
        (timedelta(days=2), "2 d"),
        (timedelta(seconds=30), "30 s"),
    ],
)
def test_describe_duration(span, text):
    assert describe_duration(span) == text


# -- who updates go to ------------------------------------------------------------------------
def test_the_shipped_policy_lists_the_audiences():
    policy = load_policy_file(builtin_policy_file())
    assert policy.communication.audiences == ("status page", "customers", "internal", "executives")


def test_a_file_without_a_communication_table_offers_the_default_audiences(write_policy):
    policy = load_policy_file(write_policy(render()))
    assert policy.communication.audiences == DEFAULT_AUDIENCES


def test_a_team_lists_its_own_audiences_with_spaces_tidied(write_policy):
    text = render() + '[communication]\naudiences = ["#incidents  channel", "Board"]\n'
    policy = load_policy_file(write_policy(text))
    assert policy.communication.audiences == ("#incidents channel", "Board")


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("audiences = []", "must be a non-empty list"),
        ('audiences = "customers"', "must be a non-empty list"),
        ('audiences = ["customers", 3]', "3 is not a name"),
        ('audiences = ["customers", "  "]', "is not a name"),
        ('audiences = ["Customers", "customers"]', "'customers' is listed twice"),
        (f'audiences = ["{"x" * 41}"]', "longer than 40 characters"),
        ('channels = ["slack"]', "unknown key"),
    ],
)
def test_a_bad_audience_list_is_named_precisely(write_policy, table, problem):
    error = raised(write_policy(render() + f"[communication]\n{table}\n"))
    assert error.key.startswith("communication.")
    assert problem in error.problem


def test_communication_must_be_a_table(write_policy):
    error = raised(write_policy('communication = "all"\n' + render()))
    assert (error.key, error.problem) == ("communication", "must be a table")
