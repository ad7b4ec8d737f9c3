"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every call of a method that
returns nothing; after a few thousand calls the process dies ("none_dealloc"). A board that
ticks once a second would die mid-incident. This catches any release that brings it back."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CALLS = 20_000

CHILD = textwrap.dedent(
    f"""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication, QLabel
    app = QApplication([])
    label = QLabel()
    before = sys.getrefcount(None)
    for n in range({CALLS}):
        label.setText("tick")   # void
        label.update()          # void
        app.processEvents()     # void
    after = sys.getrefcount(None)
    print(after - before)
    """
)


def test_void_qt_calls_do_not_leak_references_to_none():
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"the Qt process died: {result.stderr[-2000:]}"
    drift = int(result.stdout.strip().splitlines()[-1])
    # Unrelated code may take or drop a handful of references; the bug loses one per call.
    assert abs(drift) < 100, f"refcount of None drifted by {drift} over {3 * CALLS} void calls"
