"""The desktop metadata that packaging/build-linux.sh ships, in step with pyproject.toml's
version. The validators themselves (desktop-file-validate, appstreamcli) run in CI's packaging
step, packaging/smoke-test-linux.sh, which installs them and fails when they are missing."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

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
