"""`warroom drill ...` through the real entry point, on the fake clock: checking files,
listing, starting, running to the end, the facilitator's verbs and the scorecard."""

from __future__ import annotations

import json

import pytest

BAD = 'title = "T"\nseverity = "P1"\n\n[[inject]]\nat = "+3 min"\ntext = "a"\nunless = "acked"\n'


def test_check_says_a_good_file_is_good(run_cli, tmp_path):
    from warroom.system.paths import builtin_drills_dir

    path = builtin_drills_dir() / "bad-deploy.toml"
    code, out, err = run_cli("drill", "check", path)
    assert (code, err) == (0, "")
    assert out == f"{path}: scenario “bad-deploy” is good: P1, 8 injects over +25 min\n"
    assert not (tmp_path / "data" / "warroom.db").exists()  # no database for a check


def test_check_names_the_file_and_line_of_a_mistake_and_exits_1(run_cli, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(BAD, encoding="utf-8")
    code, out, err = run_cli("drill", "check", path)
    assert (code, out) == (1, "")
    assert err == (
        f"warroom: {path}:7: inject 1: “unless” must be one of acknowledged, update_sent, "
        "change_applied, rollback_applied, evidence_preserved, mitigated, not “acked”\n"
    )
    path.write_text('title = "T\n', encoding="utf-8")
    code, _, err = run_cli("drill", "check", path)
    assert (code, err) == (1, f"warroom: {path}:1: not valid TOML: Illegal character '\\n'\n")
    code, _, err = run_cli("drill", "check", tmp_path / "missing.toml")
    assert code == 1 and err.startswith(f"warroom: {tmp_path / 'missing.toml'}: cannot be read")


def test_list_shows_the_shipped_and_the_team_scenarios(run_cli, tmp_path):
    from warroom.system.paths import resolve_paths

    team = resolve_paths().user_drills
    team.mkdir(parents=True)
    (team / "dns-outage.toml").write_text(BAD.replace('"acked"', '"acknowledged"'), "utf-8")
    (team / "broken.toml").write_text(BAD, "utf-8")
    code, out, err = run_cli("drill", "list", "--json")
    assert code == 0
    assert [s["name"] for s in json.loads(out)] == [
        "bad-deploy", "certificate-expiry", "control-plane-upgrade", "data-corruption",
        "dns-outage", "ransomware", "throttled-dependency",
    ]  # fmt: skip
    assert "broken.toml:7: inject 1" in err and "left out until it is fixed" in err
    code, out, _ = run_cli("drill", "list")
    assert out.splitlines()[0].split() == ["NAME", "SEV", "SECURITY", "INJECTS", "LENGTH", "TITLE"]


def test_start_run_and_report(run_cli, cli_clock, monkeypatch):
    monkeypatch.setattr("warroom.cli.drill.sleep", lambda s: cli_clock.advance(seconds=s))
    code, out, _ = run_cli("drill", "start", "bad-deploy", "--speed", "60")
    assert code == 0
    drill = out.strip()
    code, out, _ = run_cli("show", drill, "--json")
    shown = json.loads(out)
    assert shown["is_drill"] is True
    code, out, _ = run_cli("drill", "run", drill)
    assert code == 0
    lines = out.splitlines()
    # Nobody acts: every "unless" inject comes, the "if rollback" one does not.
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        "14:05:00 UTC  Drill inject (+0 min)",
        "14:05:03 UTC  Drill inject (+3 min)",
        "14:05:05 UTC  Drill inject (+5 min)",
        "14:05:08 UTC  Drill inject (+8 min)",
        "14:05:10 UTC  Drill inject (+10 min)",
        "14:05:15 UTC  Drill inject (+15 min)",
        "14:05:25 UTC  Drill inject (+25 min)",
    ]
    assert lines[-1] == f"drill #{drill}: no inject left to deliver"
    code, out, _ = run_cli("drill", "report", drill, "--json")
    card = json.loads(out)
    # The drill still runs at +25 min: targets not reached yet are pending, not missed.
    assert card["score"] == {"passed": 1, "applicable": 3}
    assert card["injects"] == {"delivered": 7, "passed_over": 1, "skipped": 0, "pending": 0}
    assert [(c["key"], c["verdict"]) for c in card["checks"]] == [
        ("acknowledge", "pending"), ("first_update", "pending"), ("mitigate", "pending"),
        ("rollback_first", "miss"), ("one_change", "n/a"), ("evidence_first", "n/a"),
        ("cadence", "pass"), ("postmortem", "miss"),
    ]  # fmt: skip
    code, out, _ = run_cli("drill", "end", drill)
    code, out, _ = run_cli("drill", "report", drill, "--json")
    card = json.loads(out)  # ended: what was not done is missed
    assert card["score"] == {"passed": 1, "applicable": 6}
    assert [(c["key"], c["passed"]) for c in card["checks"]] == [
        ("acknowledge", False), ("first_update", False), ("mitigate", False),
        ("rollback_first", False), ("one_change", None), ("evidence_first", None),
        ("cadence", True), ("postmortem", False),
    ]  # fmt: skip
    code, out, _ = run_cli("drill", "report", drill)
    assert out.splitlines()[3] == "score: 1/6"
    code, out, _ = run_cli("drill", "scores")
    assert out.splitlines()[1].split() == [
        f"#{drill}",
        "2026-11-22",
        "14:05",
        "bad-deploy",
        "P1",
        "1/6",
    ]


def test_the_facilitator_verbs(run_cli, cli_clock):
    _, out, _ = run_cli("drill", "start", "certificate-expiry", "--speed", "60")
    drill = out.strip()
    code, out, _ = run_cli("drill", "inject", drill, "--text", "The CFO joins the bridge")
    assert (code, out) == (0, "Drill inject: The CFO joins the bridge\n")
    code, out, _ = run_cli("drill", "inject", drill, "--next")
    assert out.startswith("Drill inject (+0 min): Alert: mobile API success rate 0 %")
    code, out, _ = run_cli("drill", "skip", drill)
    assert out.startswith("skipped +3 min: openssl s_client")
    assert run_cli("drill", "pause", drill)[0] == 0
    cli_clock.advance(minutes=10)
    code, out, _ = run_cli("drill", "status", drill, "--json")
    status = json.loads(out)
    assert status["paused"] is True and status["elapsed_s"] == 0
    assert [(i["at"], i["state"], i["countdown_s"]) for i in status["injects"]] == [
        ("+0 min", "delivered", None), ("+3 min", "skipped", None),
        ("+5 min", "upcoming", None), ("+10 min", "upcoming", None),
        ("+15 min", "upcoming", None), ("+20 min", "upcoming", None),
    ]  # fmt: skip
    assert run_cli("drill", "resume", drill)[0] == 0
    code, out, _ = run_cli("drill", "status", drill, "--json")
    assert [i["countdown_s"] for i in json.loads(out)["injects"][2:]] == [5, 10, 15, 20]
    assert run_cli("drill", "end", drill)[0] == 0
    code, _, err = run_cli("drill", "skip", drill)
    assert (code, err) == (1, f"warroom: The drill on incident #{drill} has ended.\n")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("drill", "start", "nope"), 4, "There is no drill scenario “nope” (known: bad-deploy,"),
        (("drill", "report", "1"), 1, "Incident #1 is not a drill started from a scenario."),
        (("drill", "report", "99"), 4, "There is no incident #99."),
    ],
)
def test_refusals(run_cli, args, code, message):
    run_cli("declare", "--title", "Real", "--severity", "P2")
    got, _, err = run_cli(*args)
    assert got == code and message in err


def test_a_bad_speed_is_a_usage_error(run_cli):
    with pytest.raises(SystemExit) as raised:
        run_cli("drill", "start", "bad-deploy", "--speed", "0")
    assert raised.value.code == 2


def test_run_stops_on_ctrl_c_and_the_drill_goes_on(run_cli, cli_clock, monkeypatch):
    def interrupted(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("warroom.cli.drill.sleep", interrupted)
    drill = run_cli("drill", "start", "ransomware")[1].strip()
    code, out, err = run_cli("drill", "run", drill, "--speed", "30")
    assert code == 0
    assert out.startswith("14:05:00 UTC  Drill inject (+0 min): The finance team reports")
    assert err == (
        f"drill #{drill}: stopped delivering; the drill goes on "
        f"('warroom drill run {drill}' picks it up again)\n"
    )
    status = json.loads(run_cli("drill", "status", drill, "--json")[1])
    assert status["speed"] == 30


def test_a_team_scenario_named_like_a_shipped_one_replaces_it(run_cli):
    from warroom.system.paths import resolve_paths

    team = resolve_paths().user_drills
    team.mkdir(parents=True)
    (team / "bad-deploy.toml").write_text(BAD.replace('"acked"', '"acknowledged"'), "utf-8")
    listed = {s["name"]: s for s in json.loads(run_cli("drill", "list", "--json")[1])}
    assert listed["bad-deploy"]["title"] == "T"
    assert listed["bad-deploy"]["source"] == str(team / "bad-deploy.toml")
