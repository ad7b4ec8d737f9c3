"""A cheaper answer to the question PySide6 asks of every module imported after it.

To support its opt-in `from __feature__ import snake_case` syntax, PySide6 replaces
`__import__` and, after each new module, asks whether the module's source mentions
"PySide6" (shibokensupport/feature.py, `_mod_uses_pyside`). It reads the source through
`inspect.getsource`, which goes through linecache and the tokenizer: about 0.23 ms a
module, some 80 ms of warroom's start over the 400-odd modules it loads after Qt.
Reading the file's bytes answers the same question in a tenth of the time. Source files
are in an ASCII-compatible encoding (PEP 263), so the bytes hold b"PySide6" exactly when
the text holds "PySide6"; anything without a .py file is left to PySide's own check.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

FEATURE_MODULES = ("shibokensupport.feature", "PySide6.support.feature")
_MARK = "_warroom_reads_bytes"


def install() -> bool:
    """Puts the cheaper check in place of PySide6's; True when it is in place. Does nothing
    (False) when PySide6 is not imported yet or no longer has the check by that name."""
    feature = next(filter(None, map(sys.modules.get, FEATURE_MODULES)), None)
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return False
    if getattr(original, _MARK, False):
        return True
    feature._mod_uses_pyside = reading_bytes(original)  # type: ignore[attr-defined]
    return True


def reading_bytes(original: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        return original(module)

    marked: Any = uses_pyside
    setattr(marked, _MARK, True)
    marked.original = original
    return uses_pyside
