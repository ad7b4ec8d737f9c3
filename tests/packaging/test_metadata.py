"""The desktop metadata that packaging/build-linux.sh ships: valid for the tools that read it,
and in step with pyproject.toml's version."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
METAINFO = PACKAGING / "io.github.warroom.metainfo.xml"
DESKTOP = PACKAGING / "warroom.desktop"


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]


def test_every_version_has_release_notes_and_the_current_one_is_listed():
    releases = ET.parse(METAINFO).getroot().findall("releases/release")
    assert project_version() in [r.get("version") for r in releases]
    for release in releases:
        assert release.get("date"), release.attrib
        assert release.find("description/p") is not None, f"no notes for {release.get('version')}"


def test_screenshots_have_captions_and_the_content_is_rated():
    component = ET.parse(METAINFO).getroot()
    screenshots = component.findall("screenshots/screenshot")
    assert screenshots
    for screenshot in screenshots:
        assert (screenshot.findtext("caption") or "").strip()
    assert component.find("content_rating").get("type") == "oars-1.1"
    assert component.findtext("launchable") == DESKTOP.name


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils")
def test_the_desktop_entry_validates():
    done = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream")
def test_the_metainfo_validates():
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--pedantic", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
