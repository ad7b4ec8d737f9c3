"""install.sh and uninstall.sh from the tarball, run on a stand-in bundle (two scripts in
place of the frozen executables) in a home folder whose name has a space."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


@pytest.fixture
def unpacked(tmp_path) -> Path:
    """The tarball's layout, as packaging/build-linux.sh lays it out."""
    root = tmp_path / "warroom-9.9.9-linux-x86_64"
    (root / "warroom" / "_internal").mkdir(parents=True)
    for name in ("warroom", "warroom-cli"):
        program = root / "warroom" / name
        program.write_text('#!/bin/sh\necho "warroom 9.9.9"\n')
        program.chmod(0o755)
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy(PACKAGING / "linux" / script, root / script)
    share = root / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy(PACKAGING / "warroom.desktop", share / "applications")
    (share / "metainfo").mkdir()
    shutil.copy(PACKAGING / "io.github.warroom.metainfo.xml", share / "metainfo")
    icons = share / "icons" / "hicolor"
    for size, suffix in (
        ("scalable", "svg"),
        ("48x48", "png"),
        ("128x128", "png"),
        ("256x256", "png"),
    ):
        icon = icons / size / "apps" / f"warroom.{suffix}"
        icon.parent.mkdir(parents=True)
        icon.write_bytes(b"icon")
    return root


def run(script: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, check=True)


def test_install_then_uninstall_in_a_home_with_a_space(unpacked, tmp_path):
    home = tmp_path / "Dana Whitfield"
    data = home / ".local" / "share" / "warroom"
    data.mkdir(parents=True)
    (data / "warroom.db").write_bytes(b"the incidents")
    run(unpacked / "install.sh", home)

    app = home / ".local" / "lib" / "warroom"
    share = home / ".local" / "share"
    for command in ("warroom", "warroom-cli"):
        link = home / ".local" / "bin" / command
        assert os.readlink(link) == str(app / command)
        assert subprocess.run([link], capture_output=True, text=True).stdout == "warroom 9.9.9\n"
    desktop = (share / "applications" / "warroom.desktop").read_text()
    assert f'Exec="{app}/warroom"\n' in desktop  # quoted, for the space
    assert f"TryExec={app}/warroom\n" in desktop
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(
            ["desktop-file-validate", str(share / "applications" / "warroom.desktop")],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stdout
    assert (share / "metainfo" / "io.github.warroom.metainfo.xml").is_file()
    for size in ("48x48", "128x128", "256x256"):
        assert (share / "icons" / "hicolor" / size / "apps" / "warroom.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "warroom.svg").is_file()

    run(unpacked / "install.sh", home)  # again: an upgrade in place
    assert (app / "warroom").is_file() and not list(app.parent.glob("warroom.*"))

    run(app / "uninstall.sh", home)
    assert not app.exists()
    assert not list((home / ".local" / "bin").iterdir())
    assert not (share / "applications" / "warroom.desktop").exists()
    assert not (share / "metainfo" / "io.github.warroom.metainfo.xml").exists()
    assert not list((share / "icons").rglob("warroom.*"))
    assert (data / "warroom.db").read_bytes() == b"the incidents"


def test_uninstall_keeps_a_command_that_no_longer_points_at_warroom(unpacked, tmp_path):
    home = tmp_path / "home"
    run(unpacked / "install.sh", home)
    mine = home / ".local" / "bin" / "warroom-cli"
    mine.unlink()
    mine.symlink_to("/usr/bin/true")
    run(home / ".local" / "lib" / "warroom" / "uninstall.sh", home)
    assert os.readlink(mine) == "/usr/bin/true"
