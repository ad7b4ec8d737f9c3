"""`warroom declare --dedupe-key`, `mark-duplicate` and `link`; and an alert storm: many
alert hooks declaring the same key at once, as separate processes on one data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys

STORM = 20


def timeline_of(run_cli, incident_id):
    code, out, err = run_cli("show", incident_id, "--json")
    assert code == 0, err
    return json.loads(out)


def kinds(snapshot, kind):
    return [e for e in snapshot["timeline"] if e["kind"] == kind]


def test_declare_with_a_key_twice_prints_the_same_id_and_records_the_repeat(run_cli):
    args = ("declare", "--title", "Checkout 5xx", "--severity", "P2", "--dedupe-key", "co-5xx")
    code, first, err = run_cli(*args)
    assert code == 0, err
    code, again, err = run_cli(*args)
    assert code == 0, err
    assert first == again == "1\n"
    [repeat] = kinds(timeline_of(run_cli, 1), "alert_repeated")
    assert repeat["text"] == "Alert repeated (co-5xx)"
    code, other, _ = run_cli("declare", "--title", "Other", "--severity", "P2", "--dedupe-key", "x")
    assert (code, other) == (0, "2\n")


def test_mark_duplicate_and_link(run_cli):
    for title in ("API down", "API errors", "Latency"):
        assert run_cli("declare", "--title", title, "--severity", "P1")[0] == 0
    code, out, err = run_cli("mark-duplicate", 2, "--of", 1)
    assert (code, out) == (0, ""), err
    assert timeline_of(run_cli, 2)["timeline"][-1]["text"] == "Marked as a duplicate of #1"
    assert kinds(timeline_of(run_cli, 1), "duplicate")[0]["text"] == (
        "#2 marked as a duplicate of this incident"
    )
    code, _, err = run_cli("link", 3, 1)
    assert code == 0, err
    assert kinds(timeline_of(run_cli, 1), "linked")[0]["text"] == "Linked to #3"
    assert kinds(timeline_of(run_cli, 3), "linked")[0]["text"] == "Linked to #1"
    code, _, err = run_cli("link", 1, 3)
    assert code == 0 and "linked already" in err


def test_refusals_and_their_exit_codes(run_cli):
    for title in ("A", "B", "C"):
        run_cli("declare", "--title", title, "--severity", "P2")
    unknown = run_cli("ack", 99)[0]  # as every verb exits on an unknown incident
    assert unknown != 0
    assert run_cli("link", 1, 1)[0] == 1
    assert run_cli("link", 1, 99)[0] == unknown
    assert run_cli("mark-duplicate", 1, "--of", 1)[0] == 1
    assert run_cli("mark-duplicate", 1, "--of", 99)[0] == unknown
    assert run_cli("mark-duplicate", 2, "--of", 1)[0] == 0
    code, _, err = run_cli("mark-duplicate", 3, "--of", 2)  # 2 is a duplicate of 1
    assert code == 3 and "#1" in err
    assert kinds(timeline_of(run_cli, 3), "duplicate") == []


def test_metrics_leave_a_duplicate_out(run_cli):
    run_cli("declare", "--title", "API down", "--severity", "P1")
    run_cli("declare", "--title", "API errors", "--severity", "P1")
    run_cli("mark-duplicate", 2, "--of", 1)
    code, out, err = run_cli("metrics", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["all"]["count"], report["duplicates_excluded"]) == (1, 1)
    code, out, err = run_cli("metrics")
    assert out.splitlines()[0] == "All incidents · 0 drills excluded · 1 duplicate excluded"


def test_an_alert_storm_gives_one_incident_and_every_repeat_recorded(run_cli, data_dir):
    """Separate processes, started together; each is waited for to the end."""
    env = {**os.environ, "WARROOM_ACTOR": "alertmanager"}
    command = [sys.executable, "-m", "warroom", "--data-dir", str(data_dir)]
    made = subprocess.run([*command, "list"], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr  # the file exists before the storm
    declare = ["declare", "--title", "Checkout 5xx", "--severity", "P1", "--dedupe-key", "K"]
    storm = [
        subprocess.Popen(
            [*command, *declare],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(STORM)
    ]
    outputs = [p.communicate() for p in storm]  # every process, to its end
    results = [(p.returncode, out, err) for p, (out, err) in zip(storm, outputs, strict=True)]
    assert [code for code, _, _ in results] == [0] * STORM, [err for _, _, err in results]
    assert {out for _, out, _ in results} == {"1\n"}
    code, out, _ = run_cli("list", "--all", "--json")
    assert code == 0 and [i["id"] for i in json.loads(out)] == [1]
    snapshot = timeline_of(run_cli, 1)
    assert len(kinds(snapshot, "declared")) == 1
    repeats = kinds(snapshot, "alert_repeated")
    assert len(repeats) == STORM - 1
    assert {e["text"] for e in repeats} == {"Alert repeated (K)"}
