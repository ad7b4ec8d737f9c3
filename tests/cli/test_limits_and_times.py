"""Limits on every text field, times far from the incident, and date edges: refused with a
message (exit 1, or 2 for a bad date), never accepted silently and never a traceback."""

from __future__ import annotations

import json

import pytest

from warroom.domain.validation import LIMITS, MAX_NAME, MAX_TEXT, limit_of


def declare(run_cli, *extra):
    code, out, err = run_cli("declare", "--title", "Checkout down", "--severity", "P1", *extra)
    assert (code, err) == (0, ""), err
    return int(out)


# -- limits ---------------------------------------------------------------------------------------


def test_a_million_character_name_is_refused_with_the_limit_and_its_length(run_cli):
    code, out, err = run_cli(
        "declare", "--title", "Checkout down", "--severity", "P1", "--commander", "x" * 1_000_000
    )
    assert (code, out) == (1, "")
    assert err == ("warroom: A name can be at most 200 characters; this one has 1,000,000.\n")
    assert run_cli("list")[1] == "No open incidents.\n"  # nothing was declared


def test_a_long_title_is_refused_the_same_way(run_cli):
    code, _, err = run_cli("declare", "--title", "t" * 201, "--severity", "P1")
    assert code == 1
    assert err == "warroom: A title can be at most 200 characters; this one has 201.\n"


def test_notes_keep_room_for_a_large_paste(run_cli):
    """tests/reliability writes a 999,000-character note: notes keep a million."""
    incident_id = declare(run_cli)
    assert limit_of("note").most == MAX_TEXT == 1_000_000
    assert run_cli("note", incident_id, "n" * 999_000)[0] == 0
    code, _, err = run_cli("note", incident_id, "n" * 1_000_001)
    assert code == 1
    assert "A note can be at most 1,000,000 characters; this one has 1,000,001." in err


def test_the_limits_live_in_one_table():
    assert LIMITS["person"].most == LIMITS["commander"].most == MAX_NAME
    assert LIMITS["reason"].most == 10_000
    assert limit_of("some new field").most == MAX_TEXT  # a field not listed: a long text


# -- times far from the incident ------------------------------------------------------------------


def test_a_note_years_before_the_incident_needs_force(run_cli):
    incident_id = declare(run_cli, "--started", "2026-11-22T14:02:00Z")
    code, out, err = run_cli("note", incident_id, "Rolled back", "--at", "2001-11-22T14:20:00Z")
    assert (code, out) == (1, "")
    assert err == (
        "warroom: The note's time (2001-11-22 14:20 UTC) is more than a day before this "
        "incident: this incident's impact started 2026-11-22 14:02 UTC and it was declared "
        "2026-11-22 14:05 UTC. Is the date right? Nothing was recorded; add --force to record "
        "it at that time.\n"
    )
    assert [e["kind"] for e in show(run_cli, incident_id)["timeline"]] == ["declared"]
    code, out, err = run_cli(
        "note", incident_id, "Rolled back", "--at", "2001-11-22T14:20:00Z", "--force"
    )
    assert (code, err) == (0, "")
    note = show(run_cli, incident_id)["timeline"][0]
    assert (note["text"], note["at"]) == ("Rolled back", "2001-11-22T14:20:00+00:00")


def test_a_day_before_impact_is_still_fine(run_cli):
    incident_id = declare(run_cli, "--started", "2026-11-22T14:02:00Z")
    code, _, err = run_cli("note", incident_id, "Deploy 4812", "--at", "2026-11-21T14:02:00Z")
    assert (code, err) == (0, "")


def test_a_note_in_the_future_is_refused_even_with_force(run_cli):
    incident_id = declare(run_cli, "--started", "2026-11-22T14:02:00Z")
    for extra in ((), ("--force",)):
        code, _, err = run_cli("note", incident_id, "x", "--at", "2030-01-01T00:00:00Z", *extra)
        assert code == 1
        assert err == (
            "warroom: The note's time (2030-01-01 00:00 UTC) is in the future: it is "
            "2026-11-22 14:05 UTC now, and this incident's impact started 2026-11-22 14:02 UTC "
            "and it was declared 2026-11-22 14:05 UTC.\n"
        )


def show(run_cli, incident_id):
    code, out, err = run_cli("show", incident_id, "--json")
    assert (code, err) == (0, "")
    return json.loads(out)


# -- date edges -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "since", ["0001-01-01", "0001-12-31", "0999-06-15", "1999-12-31", "9999-12-31"]
)
@pytest.mark.parametrize("output", [(), ("--json",), ("--csv",)])
def test_metrics_since_any_date_works(run_cli, since, output):
    declare(run_cli)
    code, out, err = run_cli("metrics", "--since", since, *output)
    assert (code, err) == (0, "")
    if not output:
        year, rest = since.split("-", 1)
        assert out.startswith(f"Incidents declared since {year}-{rest} 00:00 UTC")
    if output == ("--json",):
        months = [m["month"] for m in json.loads(out)["months"]]
        assert len(months) <= 1 or since >= "2000"  # no trend row per month since year 1


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1970-01-01T00:00:00Z"]
)
def test_times_at_the_edge_of_the_calendar_are_refused_clearly(run_cli, when):
    incident_id = declare(run_cli)
    code, out, err = run_cli("note", incident_id, "x", "--at", when, "--force")
    assert (code, out) == (1, "")
    assert err.startswith("warroom: ") and "Traceback" not in err
    code, out, err = run_cli("declare", "--title", "x", "--severity", "P1", "--started", when)
    assert (code, out) == (1, "")
    assert err.startswith("warroom: ")
