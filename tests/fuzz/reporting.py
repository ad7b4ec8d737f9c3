"""What every fuzz module reports: how many cases it ran, by kind, after its tests (printed
with the test summary, and appended to the file WARROOM_FUZZ_REPORT names, if any)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest


def report_cases(request: pytest.FixtureRequest, heading: str, cases: Mapping[str, int]) -> None:
    lines = [f"fuzz cases run ({heading}): {sum(cases.values())}"]
    lines += [f"  {name}: {count}" for name, count in sorted(cases.items())]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)
    else:
        print("\n".join(lines))
    if report := os.environ.get("WARROOM_FUZZ_REPORT"):
        with Path(report).open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
