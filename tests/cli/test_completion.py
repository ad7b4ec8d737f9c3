"""`warroom completion bash|zsh` and `warroom examples`: printed without opening any record."""

from __future__ import annotations

import argparse
import shutil
import subprocess

import pytest

from warroom.__main__ import build_parser


def verbs_of(parser: argparse.ArgumentParser) -> list[str]:
    (choices,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(choices.choices)


def script(run_cli, shell):
    code, out, err = run_cli("completion", shell, data_dir_after_verb=False)
    assert (code, err) == (0, "")
    return out


def test_the_bash_script_lists_every_verb(run_cli, data_dir):
    out = script(run_cli, "bash")
    verbs = verbs_of(build_parser())
    assert {"declare", "note", "watch", "completion", "examples", "evidence"} <= set(verbs)
    (listed,) = (line for line in out.splitlines() if line.startswith("_shtab_warroom_subparsers="))
    assert listed.split("=(", 1)[1].rstrip(")").split() == verbs
    assert "_shtab_warroom_evidence_subparsers=(add checklist verify export)" in out
    assert "--dedupe-key" in out  # options too
    assert "complete" in out and "warroom" in out
    assert not data_dir.exists()  # no record was opened, or made


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_the_bash_script_is_valid_bash(run_cli, tmp_path):
    path = tmp_path / "warroom.bash"
    path.write_text(script(run_cli, "bash"))
    checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_zsh_script_names_every_verb(run_cli):
    out = script(run_cli, "zsh")
    assert out.startswith("#compdef warroom")
    for verb in verbs_of(build_parser()):
        assert verb in out


def test_an_unknown_shell_is_a_usage_error(run_cli):
    with pytest.raises(SystemExit) as caught:
        run_cli("completion", "fish")
    assert caught.value.code == 2


def test_examples_show_an_alert_hook_with_a_dedupe_key(run_cli, data_dir):
    code, out, err = run_cli("examples")
    assert (code, err) == (0, "")
    for step in ("warroom declare", "--dedupe-key", "warroom update", "warroom resolve"):
        assert step in out
    assert not data_dir.exists()
    if shutil.which("sh"):
        checked = subprocess.run(["sh", "-n"], input=out, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
